/**
 * Third parties in a subject access disclosure (DP-06, DP-08 s.45(4)(e): the rights and freedoms of others). The DPO names the
 * people (or other identifying words) the pack must not disclose; every occurrence in any text, in any case, is
 * replaced by a marker. Pure: the service applies it to every value that goes in the pack.
 */

export const REDACTION_MARK = '[redacted: third party]';

/** The terms as the DPO typed them (one a line or comma-separated), trimmed, de-duplicated, longest first. */
export function parseThirdPartyTerms(text: string | undefined): string[] {
  const terms = (text ?? '')
    .split(/[\n,;]+/)
    .map((t) => t.trim().replace(/\s+/g, ' '))
    .filter((t) => t.length >= 2);
  return [...new Set(terms.map((t) => t.toLowerCase()))].sort((a, b) => b.length - a.length || a.localeCompare(b));
}

function pattern(terms: readonly string[]): RegExp | undefined {
  if (terms.length === 0) return undefined;
  // Whitespace inside a term matches any run of whitespace, so "John  Smith" and "John\nSmith" are caught too.
  const alternatives = terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+'));
  return new RegExp(alternatives.join('|'), 'gi');
}

/** The text with every term replaced, and how many replacements were made. */
export function redactText(text: string, terms: readonly string[]): { text: string; count: number } {
  const re = pattern(terms);
  if (!re) return { text, count: 0 };
  let count = 0;
  const out = text.replace(re, () => {
    count += 1;
    return REDACTION_MARK;
  });
  return { text: out, count };
}

/** Every string in a JSON-like value (keys kept), redacted; with the number of replacements. */
export function redactDeep<T>(value: T, terms: readonly string[]): { value: T; count: number } {
  let count = 0;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const r = redactText(v, terms);
      count += r.count;
      return r.text;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v instanceof Date) return v.toISOString();
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, walk(inner)]));
    return v;
  };
  const out = walk(value) as T;
  return { value: out, count };
}
