/**
 * What came of a consultation (issue 7 item 4): each outcome is a timestamped event. Pure rules: which kinds
 * exist, what each must carry, and what of it may leave the platform (the CAD read carries no personal data).
 */

export const OUTCOME_KINDS = ['crime_recorded', 'arrest_requested', 'patrol_tasked', 'attendance_escalated', 'referral_made', 'no_further_action'] as const;
export type OutcomeKind = (typeof OUTCOME_KINDS)[number];

export const OUTCOME_LABELS: Record<OutcomeKind, string> = {
  crime_recorded: 'Crime recorded',
  arrest_requested: 'Arrest requested',
  patrol_tasked: 'Patrol tasked',
  attendance_escalated: 'Escalated to physical attendance',
  referral_made: 'Referral made',
  no_further_action: 'No further action',
};

export const REFERRAL_TYPES = ['idva', 'childrens_services', 'marac', 'clares_law', 'other'] as const;
export type ReferralType = (typeof REFERRAL_TYPES)[number];

export const REFERRAL_LABELS: Record<ReferralType, string> = {
  idva: 'IDVA',
  childrens_services: 'Children’s services',
  marac: 'MARAC',
  clares_law: 'Clare’s Law disclosure',
  other: 'Other',
};

export const OUTCOME_TEXT_MAX = 2000;

export interface OutcomeInput {
  kind: string;
  crimeReference?: string;
  suspectDetails?: string;
  lastKnownLocation?: string;
  referralType?: string;
  referralOther?: string;
  reason?: string;
}

/** The stored details of each kind (jsonb). `emergency`/`alertId` mark an escalation made from "I'm not safe" (RVR-11). */
export type OutcomeDetails =
  | { crimeReference: string }
  | { suspectDetails: string; lastKnownLocation: string }
  | { emergency: boolean; reason?: string; alertId?: string }
  | { referralType: ReferralType; referralOther?: string }
  | { reason: string };

export type OutcomeValidation = { ok: true; kind: OutcomeKind; details: OutcomeDetails } | { ok: false; message: string; fields: Record<string, string> };

/**
 * Checks an outcome the officer records. The crime reference must match the force's pattern (configurable);
 * an arrest request or patrol tasking needs the suspect and where they were last known; a referral needs its
 * type (and a description for "other"); no further action needs a reason.
 */
export function validateOutcome(input: OutcomeInput, rules: { crimeReferencePattern: RegExp }): OutcomeValidation {
  const problems: Record<string, string> = {};
  const text = (field: keyof OutcomeInput, message: string, required: boolean): string | undefined => {
    const value = (input[field] ?? '').trim();
    if (value === '') {
      if (required) problems[field] = message;
      return undefined;
    }
    if (value.length > OUTCOME_TEXT_MAX) {
      problems[field] = `Keep this to ${OUTCOME_TEXT_MAX} characters or fewer`;
      return undefined;
    }
    return value;
  };
  const result = (kind: OutcomeKind, details: OutcomeDetails): OutcomeValidation =>
    Object.keys(problems).length > 0 ? { ok: false, message: Object.values(problems)[0]!, fields: problems } : { ok: true, kind, details };

  switch (input.kind) {
    case 'crime_recorded': {
      const reference = text('crimeReference', 'Enter the crime reference', true);
      if (reference !== undefined && !fullMatch(rules.crimeReferencePattern, reference))
        problems.crimeReference = `“${reference}” is not a crime reference in this force’s format. Enter it exactly as it appears on the crime record (${describePattern(rules.crimeReferencePattern)}).`;
      return result('crime_recorded', { crimeReference: reference ?? '' });
    }
    case 'arrest_requested':
    case 'patrol_tasked': {
      const suspectDetails = text('suspectDetails', 'Enter the suspect’s details (name and description)', true);
      const lastKnownLocation = text('lastKnownLocation', 'Enter where the suspect was last known to be', true);
      return result(input.kind, { suspectDetails: suspectDetails ?? '', lastKnownLocation: lastKnownLocation ?? '' });
    }
    case 'attendance_escalated': {
      const reason = text('reason', '', false);
      return result('attendance_escalated', { emergency: false, ...(reason ? { reason } : {}) });
    }
    case 'referral_made': {
      const type = input.referralType ?? '';
      if (!(REFERRAL_TYPES as readonly string[]).includes(type)) problems.referralType = 'Choose who the referral was made to';
      const other = text('referralOther', 'Say who the referral was made to', type === 'other');
      return result('referral_made', { referralType: type as ReferralType, ...(type === 'other' && other ? { referralOther: other } : {}) });
    }
    case 'no_further_action': {
      const reason = text('reason', 'Give the reason for no further action', true);
      return result('no_further_action', { reason: reason ?? '' });
    }
    default:
      return { ok: false, message: 'Choose what the outcome was', fields: { kind: 'Choose what the outcome was' } };
  }
}

function fullMatch(pattern: RegExp, value: string): boolean {
  const anchored = new RegExp(`^(?:${pattern.source})$`, pattern.flags.replace(/[gy]/g, ''));
  return anchored.test(value);
}

/** A person-readable hint of the expected format: the pattern itself, without its anchors. */
function describePattern(pattern: RegExp): string {
  return `the format is ${pattern.source.replace(/^\^/, '').replace(/\$$/, '')}`;
}

/** What the CAD API may return of an outcome: its kind and time, the crime reference and the referral type, never free text. */
export function outcomeForCad(row: { kind: string; details: unknown; recordedAt: Date }): {
  kind: string;
  recordedAt: string;
  crimeReference: string | null;
  referralType: string | null;
} {
  const details = (row.details ?? {}) as Record<string, unknown>;
  return {
    kind: row.kind,
    recordedAt: row.recordedAt.toISOString(),
    crimeReference: row.kind === 'crime_recorded' && typeof details.crimeReference === 'string' ? details.crimeReference : null,
    referralType: row.kind === 'referral_made' && typeof details.referralType === 'string' ? details.referralType : null,
  };
}
