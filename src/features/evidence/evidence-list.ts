import type { EvidenceSearch } from './evidence.repository.js';

/** The evidence list's filters as they arrive in the query string (issue 15 §4): text, checked before any query. */
export interface EvidenceListQuery {
  reference?: string;
  from?: string;
  to?: string;
  type?: string;
  status?: string;
  officer?: string;
  hold?: string;
  page?: string;
  restricted?: string;
}

export const EVIDENCE_PAGE_SIZE = 50;

/** What each kind of item is called on the page. */
export const EVIDENCE_KIND_LABELS: Record<string, string> = {
  recording: 'Recording',
  snapshot: 'Snapshot',
  notes: 'Officer’s notes',
  chat: 'Chat transcript',
  upload: 'Victim’s upload',
  statement: 'Victim’s statement',
  form: 'Form',
  working_copy: 'Court working copy',
};

/** What each state of an item is called on the page. */
export const EVIDENCE_STATE_LABELS: Record<string, string> = {
  present: 'Kept',
  disposing: 'Being disposed of',
  disposed: 'Disposed of',
  purging: 'Being purged after export',
  purged: 'Purged after export',
};

const HOLD_LABELS: Record<string, string> = { yes: 'On hold', no: 'Not on hold' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DAY_MS = 86_400_000;

export interface ParsedEvidenceList {
  search: Omit<EvidenceSearch, 'includeRestricted'>;
  page: number;
  /** Field → message, for the error summary and beside each field; the filters with a problem are left out. */
  errors: Record<string, string>;
  /** The values to show in the form again, as typed. */
  values: Required<Omit<EvidenceListQuery, 'page' | 'restricted'>>;
}

/** A calendar day typed as YYYY-MM-DD, or undefined if it is not a real one (2026-02-31 is not). */
function day(value: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const date = new Date(`${value}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value ? undefined : date;
}

/**
 * Checks the list's filters: a value that is not one of the choices, or a date that is not a real day, is reported
 * beside its field (and that filter left out) rather than refused with a 400 or failing (issue 15 §4).
 * Dates are whole days in UTC: "to" includes the whole of that day.
 */
export function parseEvidenceList(query: EvidenceListQuery): ParsedEvidenceList {
  const text = (value: string | undefined) => (typeof value === 'string' ? value.trim() : '');
  const values = {
    reference: text(query.reference),
    from: text(query.from),
    to: text(query.to),
    type: text(query.type),
    status: text(query.status),
    officer: text(query.officer),
    hold: text(query.hold),
  };
  const errors: Record<string, string> = {};
  const search: ParsedEvidenceList['search'] = { limit: EVIDENCE_PAGE_SIZE };
  if (values.reference.length > 60) errors.reference = 'Enter a CAD, crime or RVR reference of 60 characters or fewer';
  else if (values.reference) search.reference = values.reference;
  const from = values.from ? day(values.from) : undefined;
  const to = values.to ? day(values.to) : undefined;
  if (values.from && !from) errors.from = 'Enter the “from” date as a real date, YYYY-MM-DD, for example 2026-11-30';
  if (values.to && !to) errors.to = 'Enter the “to” date as a real date, YYYY-MM-DD, for example 2026-12-04';
  if (from && to && to < from) errors.to = 'The “to” date must be the same as or after the “from” date';
  else {
    if (from) search.capturedFrom = from;
    if (to) search.capturedBefore = new Date(to.getTime() + DAY_MS);
  }
  if (values.type && !(values.type in EVIDENCE_KIND_LABELS)) errors.type = 'Choose a type from the list';
  else if (values.type) search.kind = values.type;
  if (values.status && !(values.status in EVIDENCE_STATE_LABELS)) errors.status = 'Choose a status from the list';
  else if (values.status) search.state = values.status;
  if (values.officer && !UUID.test(values.officer)) errors.officer = 'Choose an officer from the list';
  else if (values.officer) search.officerId = values.officer;
  if (values.hold && !(values.hold in HOLD_LABELS)) errors.hold = 'Choose whether the material is on hold';
  else if (values.hold) search.onHold = values.hold === 'yes';
  const pageText = text(query.page);
  // A page number that is not one (a hand-edited link) shows the first page.
  const page = /^\d{1,6}$/.test(pageText) && Number(pageText) >= 1 ? Number(pageText) : 1;
  search.offset = (page - 1) * EVIDENCE_PAGE_SIZE;
  return { search, page, errors, values };
}

/** A link to the list with these filters, one changed or removed: the tags, pagination and restricted toggle use it. */
export function evidenceListHref(values: Record<string, string>, change: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...values, ...change })) if (value) params.set(key, value);
  const query = params.toString();
  return query ? `/evidence?${query}` : '/evidence';
}

/** The MOJ filter's "selected filters" tags, each a link that removes it (the MOJ filter pattern). */
export function selectedFilterCategories(
  values: ParsedEvidenceList['values'],
  errors: Record<string, string>,
  officers: { id: string; displayName: string }[],
  keep: Record<string, string>,
) {
  const all = { ...values, ...keep };
  const tag = (field: keyof ParsedEvidenceList['values'], heading: string, label: string | undefined) =>
    values[field] && !errors[field] && label
      ? { heading: { text: heading }, items: [{ href: evidenceListHref(all, { [field]: undefined }), text: label }] }
      : undefined;
  return [
    tag('reference', 'Reference', values.reference),
    tag('from', 'Captured from', values.from),
    tag('to', 'Captured up to', values.to),
    tag('type', 'Type', EVIDENCE_KIND_LABELS[values.type]),
    tag('status', 'Status', EVIDENCE_STATE_LABELS[values.status]),
    tag('officer', 'Officer', officers.find((o) => o.id === values.officer)?.displayName ?? (values.officer ? 'An officer with no evidence' : undefined)),
    tag('hold', 'Legal hold', HOLD_LABELS[values.hold]),
  ].filter((c) => c !== undefined);
}
