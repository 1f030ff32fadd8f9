import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/**
 * axe-core (Deque's accessibility engine) in the end-to-end tests (issue 17 §5): WCAG 2.0–2.2 A and AA rules, and a
 * page fails on any violation axe rates serious or critical. axe is put into the page through the DevTools protocol
 * (page.evaluate), not a <script> tag, so the page's own Content Security Policy stays as it is and is tested with it.
 */
const require = createRequire(import.meta.url);

/** The engine's source (axe-core is a devDependency: `npm ci` installs it, and a missing engine fails the test). */
export function axeSource(): string {
  return fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: string; html: string; failureSummary: string }[];
}

const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

/** Runs axe on the page as it is now and returns its serious and critical violations. */
export async function seriousViolations(page: Page, source: string): Promise<AxeViolation[]> {
  const loaded = await page.evaluate('typeof window.axe === "object"');
  if (!loaded) await page.evaluate(source);
  // A string, so tsx adds nothing the page lacks; the answer is trimmed in the page to what a person reads.
  const violations = await page.evaluate<AxeViolation[]>(`window.axe
    .run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_TAGS)} }, resultTypes: ['violations'] })
    .then((result) => result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html.slice(0, 200), failureSummary: n.failureSummary || '' })),
    })))`);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** The violations as a person reads them: rule, impact, what to fix and where. */
export function describeViolations(pageName: string, violations: readonly AxeViolation[]): string {
  return violations
    .map((v) =>
      [
        `${pageName}: [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`,
        ...v.nodes.map((n) => `    at ${n.target}\n      ${n.html}\n      ${n.failureSummary.replace(/\n/g, '\n      ')}`),
      ].join('\n'),
    )
    .join('\n');
}

/**
 * A checker for one test: `check(page, name)` runs axe and keeps what it finds; `checked` lists the
 * pages it ran on and `report()` is every finding, readably, for one assertion at the end (so one run shows them all).
 */
export function axeChecker() {
  const source = axeSource();
  const checked: string[] = [];
  const findings: string[] = [];
  return {
    checked,
    async check(page: Page, name: string): Promise<void> {
      const violations = await seriousViolations(page, source);
      checked.push(name);
      if (violations.length) findings.push(describeViolations(name, violations));
    },
    report: () => findings.join('\n'),
  };
}
