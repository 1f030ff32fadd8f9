/**
 * CSV for spreadsheets, safe against formula injection: a text cell that starts with = + - @ (or a tab or
 * carriage return) is prefixed with an apostrophe, so Excel or LibreOffice shows it as text instead of running
 * it (OWASP "CSV injection"). Numbers we computed ourselves are written as they are, so negatives stay numeric.
 */
export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record, ending with CRLF (RFC 4180). */
export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
