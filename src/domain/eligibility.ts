/**
 * RVR eligibility triage (policy 2.1–2.3; rules.md RVR-01..RVR-06, DA-01, DA-02). Pure: the call handler's
 * answers and the force's settings in, a decision with every reason out.
 */

/** DA-02 "personally connected" categories, plus one that puts the call outside the DA Act. */
export const RELATIONSHIPS = [
  'partner',
  'ex_partner',
  'married_or_civil_partners',
  'engaged',
  'relative',
  'parental_relationship',
  'not_personally_connected',
] as const;
export type Relationship = (typeof RELATIONSHIPS)[number];

export const AGE_BANDS = ['under_16', '16_17', '18_plus', 'unknown'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

/** RVR-05: candidate exclusions; which of them exclude is force configuration. */
export const EXCLUSION_FLAGS = [
  'offender_present',
  'offender_expected_soon',
  'victim_not_safe',
  'cannot_talk_freely',
  'injury_needs_medical_help',
  'child_at_immediate_risk',
  'intoxicated_or_lacks_capacity',
  'no_smartphone_or_signal',
  'victim_unwilling',
] as const;
export type ExclusionFlag = (typeof EXCLUSION_FLAGS)[number];

export interface EligibilitySettings {
  version: number;
  excludingFlags: ExclusionFlag[];
  /** null = round the clock. */
  operatingHours: { start: string; end: string; timeZone: string } | null;
}

export const DEFAULT_ELIGIBILITY_SETTINGS: EligibilitySettings = {
  version: 1,
  excludingFlags: [...EXCLUSION_FLAGS],
  operatingHours: { start: '08:00', end: '22:00', timeZone: 'Europe/London' },
};

export interface TriageAnswers {
  grade: 1 | 2 | 3 | 4;
  relationship: Relationship;
  ageBand: AgeBand;
  flags: ExclusionFlag[];
  consentToVideo: boolean;
  consentToRecording: boolean;
  prefersPhone: boolean;
  languageNeed: string | null;
  bslNeeded: boolean;
  hearingNeed: boolean;
}

export interface Reason {
  code: string;
  text: string;
  /** A hard reason cannot be overridden by a supervisor. */
  hard: boolean;
}

export type Decision =
  | { outcome: 'eligible'; interpreterRequired: boolean; reasons: []; supervisorDecisionRequired: false }
  | { outcome: 'ineligible'; interpreterRequired: boolean; reasons: Reason[]; overridable: boolean; supervisorDecisionRequired: boolean };

const FLAG_REASONS: Record<ExclusionFlag, string> = {
  offender_present: 'The suspect is present',
  offender_expected_soon: 'The suspect is expected back soon',
  victim_not_safe: 'The victim is not safe',
  cannot_talk_freely: 'The victim cannot talk freely',
  injury_needs_medical_help: 'Someone needs medical help',
  child_at_immediate_risk: 'A child is at immediate risk',
  intoxicated_or_lacks_capacity: 'The victim is intoxicated or may lack capacity',
  no_smartphone_or_signal: 'The victim has no smartphone, signal or data',
  victim_unwilling: 'The victim does not want a video response',
};

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Wall-clock time in the settings' zone, so the BST/GMT change is handled; windows may cross midnight. */
export function withinOperatingHours(hours: EligibilitySettings['operatingHours'], at: Date): boolean {
  if (!hours) return true;
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: hours.timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const now = Number(parts.find((p) => p.type === 'hour')?.value) * 60 + Number(parts.find((p) => p.type === 'minute')?.value);
  const start = minutesOf(hours.start);
  const end = minutesOf(hours.end);
  if (start === end) return true;
  return start < end ? now >= start && now < end : now >= start || now < end;
}

export function decideEligibility(answers: TriageAnswers, settings: EligibilitySettings, at: Date): Decision {
  const reasons: Reason[] = [];
  const add = (code: string, text: string, hard: boolean) => reasons.push({ code, text, hard });
  if (answers.grade === 1) add('grade_1', 'Grade 1 emergency: needs an immediate physical response, never RVR (RVR-03)', true);
  if (answers.relationship === 'not_personally_connected')
    add('not_domestic_abuse', 'Not personally connected to the suspect, so not domestic abuse under the DA Act 2021 (DA-02)', true);
  if (answers.ageBand === 'under_16') add('under_16', 'The victim is under 16, outside the DA Act 2021 definition (DA-01): refer to safeguarding', true);
  const supervisorDecisionRequired = answers.ageBand === '16_17';
  if (supervisorDecisionRequired) add('aged_16_17', 'The victim is 16 or 17: a supervisor must decide', false);
  for (const flag of answers.flags) if (settings.excludingFlags.includes(flag)) add(flag, FLAG_REASONS[flag], false);
  if (!withinOperatingHours(settings.operatingHours, at)) {
    const hours = settings.operatingHours!;
    add('outside_hours', `Outside RVR operating hours (${hours.start}–${hours.end})`, false);
  }
  if (!answers.consentToVideo) add('no_video_consent', 'The caller has not agreed to a video call (RVR-04)', true);
  if (!answers.consentToRecording) add('no_recording_consent', 'The caller has not agreed to the call being recorded (RVR-04)', true);
  if (answers.prefersPhone) add('prefers_phone', 'The caller chose a phone call instead of video', true);
  const interpreterRequired = !!answers.languageNeed || answers.bslNeeded || answers.hearingNeed;
  if (reasons.length === 0) return { outcome: 'eligible', interpreterRequired, reasons: [], supervisorDecisionRequired: false };
  return { outcome: 'ineligible', interpreterRequired, reasons, overridable: reasons.every((r) => !r.hard), supervisorDecisionRequired };
}
