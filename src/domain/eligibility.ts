/**
 * RVR eligibility triage for a control-room call (Kent policy O292 2.1–2.4; rules.md DA-01, DA-02, RVR-01..RVR-06).
 * Pure: the call handler's answers, the force's settings and the time in; a decision with every reason out.
 *
 * Hard reasons can never be overridden: the call is not RVR at all (grade 1, not domestic abuse, victim or suspect
 * under 16), the conditions of eligibility are not met (RVR-02, policy 2.3/2.4: the suspect present or due back, the
 * victim not safe or unable to talk freely — never configurable, never overridable, RVR-05), or the victim has not
 * agreed to it (consent, or chose a phone call). Soft reasons are the force's configured exclusions: a supervisor may
 * override them with a recorded rationale (RVR-05), or must decide (victim 16–17 or of unknown age, suspect of
 * unknown age).
 */

/** DA-02 "personally connected" categories (DA Act 2021 s.2), plus one that puts the call outside the Act. */
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

/** Policy 2.2 (the trial's results were for female victims): optional, asked at triage, never a reason. */
export const VICTIM_SEXES = ['female', 'male', 'prefer_not_to_say'] as const;
export type VictimSex = (typeof VICTIM_SEXES)[number];

/** RVR-05: candidate exclusions; which of them exclude is force configuration (EligibilitySettings.excludingFlags). */
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

/**
 * RVR-02 / RVR-05 (policy 2.3, 2.4): conditions of eligibility, not force configuration. Ticked, they always exclude,
 * whatever `excludingFlags` says (a settings row saved before this rule that leaves them out is ignored for them),
 * and no supervisor can override them.
 */
export const HARD_EXCLUSION_FLAGS = [
  'offender_present',
  'offender_expected_soon',
  'victim_not_safe',
  'cannot_talk_freely',
] as const satisfies readonly ExclusionFlag[];
/** The exclusions a force may switch on or off, and a supervisor may override (RVR-05). */
export const CONFIGURABLE_EXCLUSION_FLAGS: ExclusionFlag[] = EXCLUSION_FLAGS.filter((f) => !isHardFlag(f));
export function isHardFlag(flag: string): boolean {
  return (HARD_EXCLUSION_FLAGS as readonly string[]).includes(flag);
}

export interface EligibilitySettings {
  /** The rule-set version, stored with every decision. */
  version: number;
  /** Which checklist flags exclude (force configuration); a flag not listed here is recorded but ignored. */
  excludingFlags: ExclusionFlag[];
  /** RVR-05: 'HH:MM' local wall-clock times in an IANA zone; end is exclusive; start > end crosses midnight; start == end is 24h. null = round the clock. */
  operatingHours: { start: string; end: string; timeZone: string } | null;
}

/** Version 1: every flag excludes; 08:00–22:00 UK time (the Suffolk example in RVR-05). */
export const DEFAULT_ELIGIBILITY_SETTINGS: EligibilitySettings = {
  version: 1,
  excludingFlags: [...EXCLUSION_FLAGS],
  operatingHours: { start: '08:00', end: '22:00', timeZone: 'Europe/London' },
};

export interface TriageAnswers {
  grade: 1 | 2 | 3 | 4;
  relationship: Relationship;
  ageBand: AgeBand;
  /** DA-01: the suspect must be 16 or over too. */
  suspectAgeBand: AgeBand;
  /** Policy 2.2: optional; null when not asked. Never affects the decision. */
  victimSex?: VictimSex | null;
  flags: ExclusionFlag[];
  consentToVideo: boolean;
  consentToRecording: boolean;
  prefersPhone: boolean;
  /** A spoken language other than English, or null. */
  languageNeed: string | null;
  bslNeeded: boolean;
  hearingNeed: boolean;
}

export interface Reason {
  /** Stable machine code: an ExclusionFlag, or one of grade_1, not_domestic_abuse, under_16, suspect_under_16, aged_16_17, age_unknown, suspect_age_unknown, outside_hours, no_video_consent, no_recording_consent, prefers_phone. */
  code: string;
  /** What the call handler reads: why, the rule, and what to do instead. */
  text: string;
  /** A hard reason cannot be overridden by a supervisor. */
  hard: boolean;
}

export type Decision =
  | { outcome: 'eligible'; interpreterRequired: boolean; reasons: []; supervisorDecisionRequired: false }
  | { outcome: 'ineligible'; interpreterRequired: boolean; reasons: Reason[]; overridable: boolean; supervisorDecisionRequired: boolean };

/** RVR-02 / RVR-05: why each configured flag excludes, and what to do instead. */
const FLAG_REASONS: Record<ExclusionFlag, string> = {
  offender_present: 'The suspect is present, so the victim cannot safely talk on video (RVR-02): send officers in person',
  offender_expected_soon: 'The suspect is expected back soon, so the victim may not stay safe on video (RVR-02): send officers in person',
  victim_not_safe: 'The victim is not safe (RVR-02, RVR-06): send an in-person response',
  cannot_talk_freely: 'The victim cannot talk freely or privately (RVR-02): send officers in person, or arrange a call when it is safe',
  injury_needs_medical_help: 'Someone has an injury that needs medical help (RVR-05): call an ambulance and send officers in person',
  child_at_immediate_risk: 'A child is at immediate risk (RVR-05): send officers in person',
  intoxicated_or_lacks_capacity: 'The victim is intoxicated or may lack capacity to give an account (RVR-05): send officers in person',
  no_smartphone_or_signal: 'The victim has no smartphone, or no signal or data, for a video call (RVR-05): send officers in person',
  victim_unwilling: 'The victim does not want a video response (RVR-04): offer in-person attendance',
};

const HH_MM = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/** Minutes after local midnight for 'HH:MM' (or 'H:MM'); a malformed time is a configuration error, so it throws. */
function minutesOf(hhmm: string): number {
  const match = HH_MM.exec(hhmm.trim());
  if (!match) throw new RangeError(`Operating hours must be times like 08:00 (00:00 to 23:59); "${hhmm}" is not`);
  return Number(match[1]) * 60 + Number(match[2]);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Local wall-clock minutes after midnight in an IANA zone. Intl applies the zone's rules, so BST/GMT is handled. */
function localMinutes(at: Date, timeZone: string): number {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, formatter);
  }
  const parts = formatter.formatToParts(at);
  const part = (type: 'hour' | 'minute') => Number(parts.find((p) => p.type === type)?.value);
  // Some engines render midnight as 24 even with h23; treat it as 0.
  return (part('hour') % 24) * 60 + part('minute');
}

const asHhMm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/**
 * RVR-05: is `at` inside the operating hours? Start is inclusive and end exclusive (08:00–22:00 is open at 08:00
 * and at 21:59, closed at 22:00). A window whose start is after its end crosses midnight (22:00–06:00); start
 * equal to end, or null, is round the clock.
 */
export function withinOperatingHours(hours: EligibilitySettings['operatingHours'], at: Date): boolean {
  if (!hours) return true;
  const start = minutesOf(hours.start);
  const end = minutesOf(hours.end);
  if (start === end) return true;
  const now = localMinutes(at, hours.timeZone);
  return start < end ? now >= start && now < end : now >= start || now < end;
}

/** A language, BSL or hearing need is never an exclusion (RVR-05: interpreters are provided virtually); it books an interpreter. */
function needsInterpreter(answers: TriageAnswers): boolean {
  return (answers.languageNeed?.trim() ?? '') !== '' || answers.bslNeeded || answers.hearingNeed;
}

/** Decides eligibility, reporting every reason (not just the first) in a fixed order: scope, age, checklist, hours, the victim's choice. */
export function decideEligibility(answers: TriageAnswers, settings: EligibilitySettings, at: Date): Decision {
  const reasons: Reason[] = [];
  const add = (code: string, text: string, hard: boolean) => reasons.push({ code, text, hard });

  // RVR-03: a grade 1 emergency always gets an immediate physical response.
  if (answers.grade === 1) add('grade_1', 'This is a grade 1 emergency, which is never an RVR call (RVR-03): send an immediate in-person response', true);
  // DA-01 / DA-02: only domestic abuse calls are RVR calls.
  if (answers.relationship === 'not_personally_connected') {
    add(
      'not_domestic_abuse',
      'The victim and suspect are not personally connected, so this is not domestic abuse under the DA Act 2021 (DA-01, DA-02): deal with it as a non-domestic call',
      true,
    );
  }
  // DA-01: the Act applies only when both are 16 or over.
  if (answers.ageBand === 'under_16') {
    add('under_16', 'The victim is under 16, outside the DA Act 2021 definition (DA-01): send officers in person and refer to child safeguarding', true);
  }
  if (answers.suspectAgeBand === 'under_16') {
    add(
      'suspect_under_16',
      'The suspect is under 16, so this is not domestic abuse under the DA Act 2021, which needs both people aged 16 or over (DA-01): send officers in person and refer to child safeguarding',
      true,
    );
  }
  // RVR-05: under 18 is child safeguarding, and a supervisor decides. An unknown age may be under 18, so it takes the
  // same path (issue 16 §4); so does a suspect of unknown age, who may be under 16 (DA-01).
  if (answers.ageBand === '16_17') {
    add('aged_16_17', 'The victim is 16 or 17 (RVR-05): a supervisor must decide whether RVR is suitable, and child safeguarding must be told', false);
  }
  if (answers.ageBand === 'unknown') {
    add(
      'age_unknown',
      'The victim’s age is not known, so they may be under 18 (DA-01, RVR-05): a supervisor must decide whether RVR is suitable, as for a 16- or 17-year-old',
      false,
    );
  }
  if (answers.suspectAgeBand === 'unknown') {
    add(
      'suspect_age_unknown',
      'The suspect’s age is not known, so they may be under 16 and outside the DA Act 2021 (DA-01): a supervisor must decide whether RVR is suitable',
      false,
    );
  }
  const supervisorDecisionRequired = answers.ageBand === '16_17' || answers.ageBand === 'unknown' || answers.suspectAgeBand === 'unknown';
  // RVR-02 / RVR-05: each ticked flag, once each, in checklist order. The conditions of eligibility always exclude and
  // are hard; the rest only when the force has configured them, and soft.
  for (const flag of EXCLUSION_FLAGS) {
    if (!answers.flags.includes(flag)) continue;
    if (isHardFlag(flag)) add(flag, FLAG_REASONS[flag], true);
    else if (settings.excludingFlags.includes(flag)) add(flag, FLAG_REASONS[flag], false);
  }
  // RVR-05: operating hours, in local wall-clock time.
  const hours = settings.operatingHours;
  if (hours && !withinOperatingHours(hours, at)) {
    const now = asHhMm(localMinutes(at, hours.timeZone));
    add(
      'outside_hours',
      `It is ${now} (${hours.timeZone}), outside RVR operating hours of ${hours.start} to ${hours.end} (RVR-05): send officers in person`,
      false,
    );
  }
  // RVR-04: RVR is optional for the victim; consent to both is explicit and cannot be overridden.
  if (!answers.consentToVideo) add('no_video_consent', 'The victim has not agreed to a video call (RVR-04): offer in-person attendance', true);
  if (!answers.consentToRecording) {
    add('no_recording_consent', 'The victim has not agreed to the video call being recorded (RVR-04): offer in-person attendance', true);
  }
  if (answers.prefersPhone)
    add('prefers_phone', 'The victim chose a phone call instead of video (RVR-04): arrange the phone call or in-person attendance', true);

  const interpreterRequired = needsInterpreter(answers);
  if (reasons.length === 0) return { outcome: 'eligible', interpreterRequired, reasons: [], supervisorDecisionRequired: false };
  return { outcome: 'ineligible', interpreterRequired, reasons, overridable: reasons.every((r) => !r.hard), supervisorDecisionRequired };
}
