// Issue 17 §2: the words a page script shows come from the page, in its language (the message catalogs' "browser"
// branch, rendered as <script type="application/json" id="rvr-strings">), so no script holds English of its own.
let strings: Record<string, string> | undefined;

/** The page's words for `key`, with `{{name}}` placeholders filled in; the key itself if the page has none. */
export function s(key: string, values: Record<string, string | number> = {}): string {
  strings ??= JSON.parse(document.getElementById('rvr-strings')?.textContent || '{}') as Record<string, string>;
  let text = strings[key] ?? key;
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{{${name}}}`, String(value));
  return text;
}
