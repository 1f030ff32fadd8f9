/**
 * The lines of enquiry an in-person first response covers (RVR-08; Kent policy 2.1: "the same response as a first
 * response would in person, conducting all lines of enquiry"). Each line is marked done, not applicable, or not
 * possible with a reason. Pure rules: no I/O.
 */

export const ENQUIRY_STATUSES = ['done', 'not_applicable', 'not_possible'] as const;
export type EnquiryStatus = (typeof ENQUIRY_STATUSES)[number];

export const ENQUIRY_STATUS_LABELS: Record<EnquiryStatus, string> = {
  done: 'Done',
  not_applicable: 'Not applicable',
  not_possible: 'Not possible',
};

export interface EnquiryLineDefinition {
  id: string;
  group: string;
  label: string;
  hint: string;
  /** Whether snapshots or uploads of this consultation can be linked to show the line (e.g. injuries photographed). */
  evidenceLinkable: boolean;
}

export const ENQUIRY_LINES = [
  {
    id: 'victim_account',
    group: 'Account',
    label: 'Victim’s account taken',
    hint: 'What happened, in the victim’s words (typed in the statement below).',
    evidenceLinkable: false,
  },
  {
    id: 'injuries',
    group: 'Evidence',
    label: 'Injuries seen and photographed',
    hint: 'Ask to see any injuries on video; take snapshots or ask the victim to send photos.',
    evidenceLinkable: true,
  },
  {
    id: 'children',
    group: 'Safeguarding',
    label: 'Children and dependants checked and seen on video',
    hint: 'Who lives at the address, where the children are now, and that each was seen.',
    evidenceLinkable: true,
  },
  {
    id: 'suspect',
    group: 'Suspect',
    label: 'Suspect details and whereabouts',
    hint: 'Name, description, where they are now, access to weapons.',
    evidenceLinkable: false,
  },
  { id: 'witnesses', group: 'Evidence', label: 'Witnesses identified', hint: 'Neighbours, family, callers; how to reach them.', evidenceLinkable: false },
  {
    id: 'scene_evidence',
    group: 'Evidence',
    label: 'Scene, CCTV and other evidence',
    hint: 'Damage seen on video, doorbell or CCTV cameras, messages, call logs.',
    evidenceLinkable: true,
  },
  {
    id: 'safeguarding_advice',
    group: 'Safeguarding',
    label: 'Safeguarding advice given',
    hint: 'Safety planning, what to do if the suspect returns, 999 and silent solution.',
    evidenceLinkable: false,
  },
  { id: 'referral_idva', group: 'Referrals', label: 'IDVA referral', hint: 'Independent domestic violence adviser.', evidenceLinkable: false },
  {
    id: 'referral_childrens_services',
    group: 'Referrals',
    label: 'Children’s services referral',
    hint: 'Where children live at or visit the address.',
    evidenceLinkable: false,
  },
  { id: 'referral_marac', group: 'Referrals', label: 'MARAC referral', hint: 'High risk, or as the risk assessment requires.', evidenceLinkable: false },
  {
    id: 'clares_law',
    group: 'Referrals',
    label: 'Clare’s Law disclosure',
    hint: 'Right to ask or right to know (Domestic Violence Disclosure Scheme).',
    evidenceLinkable: false,
  },
  { id: 'crime_recorded', group: 'Outcome', label: 'Crime recorded', hint: 'Record the crime reference under Outcomes.', evidenceLinkable: false },
] as const satisfies readonly EnquiryLineDefinition[];

export type EnquiryLineId = (typeof ENQUIRY_LINES)[number]['id'];
export const ENQUIRY_LINE_IDS: readonly EnquiryLineId[] = ENQUIRY_LINES.map((l) => l.id);

export const ENQUIRY_REASON_MAX = 1000;
export const ENQUIRY_EVIDENCE_MAX = 50;

export function enquiryLine(id: string): EnquiryLineDefinition | undefined {
  return (ENQUIRY_LINES as readonly EnquiryLineDefinition[]).find((l) => l.id === id);
}

export interface EnquiryLineInput {
  line: string;
  status: string;
  reason?: string;
  evidenceItemIds?: readonly string[];
}

export interface EnquiryLineUpdate {
  line: EnquiryLineId;
  status: EnquiryStatus;
  reason: string | null;
  evidenceItemIds: string[];
}

export type EnquiryValidation = { ok: true; update: EnquiryLineUpdate } | { ok: false; message: string; fields: Record<string, string> };

/**
 * Checks one line's update: a known line and status; a reason is required when the line was not possible (and
 * optional otherwise); evidence can be linked only to lines that take it. Whether the evidence belongs to the
 * consultation is the service's check (it needs the database).
 */
export function validateEnquiryLine(input: EnquiryLineInput): EnquiryValidation {
  const refuse = (field: string, message: string): EnquiryValidation => ({ ok: false, message, fields: { [field]: message } });
  const definition = enquiryLine(input.line);
  if (!definition) return refuse('line', 'Choose one of the lines of enquiry on the list');
  if (!(ENQUIRY_STATUSES as readonly string[]).includes(input.status)) return refuse('status', 'Choose done, not applicable or not possible');
  const status = input.status as EnquiryStatus;
  const reason = (input.reason ?? '').trim();
  if (status === 'not_possible' && reason === '')
    return refuse('reason', `Say why “${definition.label}” was not possible (for example, the victim could not show the injury on camera)`);
  if (reason.length > ENQUIRY_REASON_MAX) return refuse('reason', `Keep the reason to ${ENQUIRY_REASON_MAX} characters or fewer`);
  const ids = [...new Set(input.evidenceItemIds ?? [])];
  if (ids.length > 0 && !definition.evidenceLinkable) return refuse('evidenceItemIds', `Photos cannot be linked to “${definition.label}”`);
  if (ids.length > ENQUIRY_EVIDENCE_MAX) return refuse('evidenceItemIds', `Link at most ${ENQUIRY_EVIDENCE_MAX} photos to one line`);
  return { ok: true, update: { line: definition.id as EnquiryLineId, status, reason: reason === '' ? null : reason, evidenceItemIds: ids } };
}

export interface EnquiryProgress {
  done: number;
  notApplicable: number;
  notPossible: number;
  outstanding: EnquiryLineId[];
  complete: boolean;
}

/** How far the lines of enquiry have got: every line must be marked one way or another to be complete. */
export function enquiryProgress(recorded: readonly { line: string; status: string }[]): EnquiryProgress {
  const byLine = new Map(recorded.map((r) => [r.line, r.status]));
  const count = (status: EnquiryStatus) => ENQUIRY_LINE_IDS.filter((id) => byLine.get(id) === status).length;
  const outstanding = ENQUIRY_LINE_IDS.filter((id) => !(ENQUIRY_STATUSES as readonly string[]).includes(byLine.get(id) ?? ''));
  return { done: count('done'), notApplicable: count('not_applicable'), notPossible: count('not_possible'), outstanding, complete: outstanding.length === 0 };
}
