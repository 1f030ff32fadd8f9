/**
 * The risk-form engine (DASH-08): a form is data (sections, questions, follow-ups) plus its own scoring, so DASH 2009
 * today and DARA or a force variant later plug in beside each other. Every stored assessment names its form version
 * (DASH-02), and counts are never mixed across versions.
 *
 * The rules that do not depend on the form live here: completeness (DASH-01), answer checks, professional judgement
 * (DASH-04), the MARAC criteria other than the form's own count (DASH-03 b–d) and routing by age (DASH-07).
 */
import type { AgeBand } from '../eligibility.js';
import { addCalendarMonths, londonWallClock } from '../retention.js';

export const ANSWER_VALUES = ['yes', 'no', 'not_known'] as const;
export type AnswerValue = (typeof ANSWER_VALUES)[number];
export const ANSWER_LABELS: Record<AnswerValue, string> = { yes: 'Yes', no: 'No', not_known: 'Not known' };

/** DASH-05: the three grades, lowest first (their order is what "raise" and "lower" mean). */
export const GRADES = ['standard', 'medium', 'high'] as const;
export type Grade = (typeof GRADES)[number];
export const GRADE_LABELS: Record<Grade, string> = { standard: 'Standard', medium: 'Medium', high: 'High' };

export const MAX_COMMENT_LENGTH = 2000;
export const MIN_REASON_LENGTH = 10;
export const MAX_REASON_LENGTH = 2000;
export const MAX_PRIOR_INCIDENTS = 1000;

/** One answer as stored: the comment may be written before (or without) choosing an answer while the form is a draft. */
export interface AnswerEntry {
  answer?: AnswerValue;
  comment?: string;
}
export type Answers = Readonly<Record<string, AnswerEntry>>;

/** A question asked only when its parent has a given answer (e.g. Q4 → honour-based abuse, Q8 → S-DASH stalking). */
export interface RiskFollowUp {
  id: string;
  when: AnswerValue;
  text: string;
  help: string;
}

export interface RiskQuestion {
  id: string;
  number: number;
  text: string;
  help?: string;
  followUp?: RiskFollowUp;
}

export interface RiskSection {
  id: string;
  title: string;
  questions: readonly RiskQuestion[];
}

/** Force configuration (config.investigation): the local bands are not national (DASH-05). */
export interface ScoringSettings {
  dashMediumFrom: number;
  dashHighFrom: number;
  maracEscalationIncidents: number;
}

/** The facts beside the form that the MARAC and routing rules need. */
export interface RiskFacts {
  /** When this incident was reported: the repeat rule counts 12 months back from it (DASH-03 d). */
  incidentAt: Date;
  victimAgeBand: AgeBand | null;
  /** DA incidents involving the victim in the 12 months before this one, from the intelligence searches (DASH-01, DASH-03 c). */
  priorIncidents12Months: number | null;
  /** The victim's last MARAC referral, if the searches found one (DASH-03 d). */
  lastMaracReferralAt: Date | null;
}

/** The officer's professional judgement (DASH-03 b, DASH-04). */
export interface Judgement {
  /** The grade the officer assigns; null means "the actuarial grade". */
  grade: Grade | null;
  /** A MARAC referral on professional judgement alone. */
  referral: boolean;
  /** The concerns, written down: needed for a referral on judgement and for any grade other than the actuarial one. */
  reason: string | null;
}

export const NO_JUDGEMENT: Judgement = { grade: null, referral: false, reason: null };

export type MaracReasonCode = 'visible_high_risk' | 'professional_judgement' | 'escalation' | 'repeat';
export interface MaracReason {
  code: MaracReasonCode;
  rule: string;
  text: string;
}

export interface HighRiskFlag {
  code: string;
  label: string;
  /** The question ids whose "yes" raised it. */
  questions: string[];
}

export type Route = 'child_safeguarding' | 'young_person' | 'adult' | 'unknown';
export interface Routing {
  route: Route;
  /** Whether a MARAC can take the case at all (victims aged 16 or over: DASH-07). */
  maracEligible: boolean;
  advice: string[];
}

export interface RiskScore {
  formVersion: string;
  yesCount: number;
  answered: number;
  total: number;
  /** Question (and triggered follow-up) ids still unanswered, in form order: DASH-01. */
  missing: string[];
  complete: boolean;
  actuarialGrade: Grade;
  /** The grade that stands: the officer's if it is allowed, never below an actuarial High (DASH-04). */
  grade: Grade;
  gradeSource: 'actuarial' | 'raised' | 'lowered';
  marac: { referral: boolean; reasons: MaracReason[] };
  highRiskFlags: HighRiskFlag[];
  routing: Routing;
  /** What the result was computed with, stored so it can be re-derived after the bands change. */
  settings: ScoringSettings & { visibleHighRiskFrom: number };
}

export interface RiskForm {
  /** Stored with every assessment (DASH-02), e.g. 'DASH2009'. */
  version: string;
  title: string;
  description: string;
  sections: readonly RiskSection[];
  score(answers: Answers, facts: RiskFacts, settings: ScoringSettings, judgement?: Judgement): RiskScore;
}

/** What the generic rules need of a form: its questions (not its scoring). */
export type FormShape = Pick<RiskForm, 'version' | 'title' | 'sections'>;

export function questionsOf(form: FormShape): RiskQuestion[] {
  return form.sections.flatMap((s) => s.questions);
}

/** Every id an answer may be stored under: the questions and their follow-ups. */
export function answerIds(form: FormShape): string[] {
  return questionsOf(form).flatMap((q) => (q.followUp ? [q.id, q.followUp.id] : [q.id]));
}

/** The follow-ups whose parent has the answer that asks them. */
export function triggeredFollowUps(form: FormShape, answers: Answers): RiskFollowUp[] {
  return questionsOf(form)
    .filter((q) => q.followUp && answers[q.id]?.answer === q.followUp.when)
    .map((q) => q.followUp!);
}

/** DASH-01: the ids still to answer, in form order; complete only when this is empty. A triggered follow-up must be answered too. */
export function missingQuestions(form: FormShape, answers: Answers): string[] {
  const missing: string[] = [];
  for (const q of questionsOf(form)) {
    if (!isAnswerValue(answers[q.id]?.answer)) missing.push(q.id);
    if (q.followUp && answers[q.id]?.answer === q.followUp.when && !isAnswerValue(answers[q.followUp.id]?.answer)) missing.push(q.followUp.id);
  }
  return missing;
}

export function isAnswerValue(value: unknown): value is AnswerValue {
  return typeof value === 'string' && (ANSWER_VALUES as readonly string[]).includes(value);
}

export function isGrade(value: unknown): value is Grade {
  return typeof value === 'string' && (GRADES as readonly string[]).includes(value);
}

/** How a person names a question in a message: "question 7", or "the follow-up to question 4". */
export function questionLabel(form: FormShape, id: string): string {
  for (const q of questionsOf(form)) {
    if (q.id === id) return `question ${q.number}`;
    if (q.followUp?.id === id) return `the follow-up to question ${q.number}`;
  }
  return `“${id.slice(0, 20)}”`;
}

/**
 * What is wrong with a set of answers, per answer id (empty when nothing is): unknown ids, an answer outside
 * yes / no / not known, a comment that is not text or too long, a follow-up answered although its question does not ask it.
 */
export function answerProblems(form: FormShape, answers: unknown): Record<string, string> {
  const problems: Record<string, string> = {};
  if (!answers || typeof answers !== 'object' || Array.isArray(answers)) return { answers: 'The answers must be a set of question numbers and answers' };
  const known = new Set(answerIds(form));
  const entries = answers as Record<string, unknown>;
  for (const [id, entry] of Object.entries(entries)) {
    if (!known.has(id)) {
      problems[id] = `There is no ${questionLabel(form, id)} on the ${form.title}`;
      continue;
    }
    const label = capitalise(questionLabel(form, id));
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      problems[id] = `${label}: send an answer and an optional comment`;
      continue;
    }
    const { answer, comment, ...rest } = entry as Record<string, unknown>;
    if (Object.keys(rest).length > 0) problems[id] = `${label}: only an answer and a comment can be saved`;
    else if (answer !== undefined && !isAnswerValue(answer)) problems[id] = `${label}: answer Yes, No or Not known`;
    else if (comment !== undefined && typeof comment !== 'string') problems[id] = `${label}: the comment must be text`;
    else if (typeof comment === 'string' && comment.length > MAX_COMMENT_LENGTH)
      problems[id] = `${label}: keep the comment to ${MAX_COMMENT_LENGTH.toLocaleString('en-GB')} characters or fewer`;
  }
  for (const q of questionsOf(form)) {
    const followUp = q.followUp;
    if (!followUp || problems[followUp.id]) continue;
    const parent = entries[q.id] as AnswerEntry | undefined;
    const child = entries[followUp.id] as AnswerEntry | undefined;
    if (child?.answer !== undefined && parent?.answer !== followUp.when)
      problems[followUp.id] =
        `The follow-up to question ${q.number} is only asked when question ${q.number} is ${ANSWER_LABELS[followUp.when]}: clear it or change question ${q.number}`;
  }
  return problems;
}

/** Checks on the facts the officer records beside the form. `complete` asks for what completion needs. */
export function factProblems(facts: RiskFacts, mode: 'draft' | 'complete'): Record<string, string> {
  const problems: Record<string, string> = {};
  const prior = facts.priorIncidents12Months;
  if (prior !== null && (!Number.isInteger(prior) || prior < 0 || prior > MAX_PRIOR_INCIDENTS))
    problems.priorIncidents12Months = `Enter the number of earlier incidents as a whole number from 0 to ${MAX_PRIOR_INCIDENTS}`;
  else if (prior === null && mode === 'complete')
    problems.priorIncidents12Months = 'Enter how many domestic abuse incidents the intelligence searches found in the 12 months before this one (0 if none)';
  const last = facts.lastMaracReferralAt;
  if (last !== null && Number.isNaN(last.getTime())) problems.lastMaracReferralAt = 'Enter the date of the last MARAC referral as a real date';
  else if (last !== null && last.getTime() > facts.incidentAt.getTime())
    problems.lastMaracReferralAt = 'The last MARAC referral cannot be after this incident: check the date';
  if (mode === 'complete' && (facts.victimAgeBand === null || facts.victimAgeBand === 'unknown'))
    problems.victimAgeBand = 'Record the victim’s age band: who the case goes to depends on it (DASH-07)';
  return problems;
}

const GRADE_RANK: Record<Grade, number> = { standard: 0, medium: 1, high: 2 };

export function compareGrades(a: Grade, b: Grade): number {
  return GRADE_RANK[a] - GRADE_RANK[b];
}

/**
 * DASH-04: 14 or more "yes" answers is an actuarial High whatever the force's bands say. A force may set High lower
 * (DASH-05), never higher: a DASH_HIGH_FROM above 14 is capped here, so judgement can never lower such a result.
 */
export const DASH_ALWAYS_HIGH_FROM = 14;

/** The actuarial grade from the yes-count and the force's bands (DASH-05), High always from 14 (DASH-04): below Medium is Standard. */
export function actuarialGrade(yesCount: number, settings: ScoringSettings): Grade {
  if (yesCount >= Math.min(settings.dashHighFrom, DASH_ALWAYS_HIGH_FROM)) return 'high';
  if (yesCount >= settings.dashMediumFrom) return 'medium';
  return 'standard';
}

/**
 * DASH-04: the officer's grade stands when it raises the actuarial grade, or lowers Medium to Standard; it never
 * lowers an actuarial High (the High stands, and `judgementProblems` refuses the attempt).
 */
export function resolveGrade(actuarial: Grade, judgement: Judgement): { grade: Grade; source: RiskScore['gradeSource'] } {
  const chosen = judgement.grade;
  if (!chosen || chosen === actuarial) return { grade: actuarial, source: 'actuarial' };
  if (compareGrades(chosen, actuarial) > 0) return { grade: chosen, source: 'raised' };
  if (actuarial === 'high') return { grade: 'high', source: 'actuarial' };
  return { grade: chosen, source: 'lowered' };
}

/** Checks on the professional judgement against the actuarial result and the victim's age (DASH-03 b, DASH-04, DASH-07). */
export function judgementProblems(actuarial: Grade, yesCount: number, judgement: Judgement, ageBand: AgeBand | null): Record<string, string> {
  const problems: Record<string, string> = {};
  const reason = judgement.reason?.trim() ?? '';
  const chosen = judgement.grade;
  if (chosen && actuarial === 'high' && compareGrades(chosen, 'high') < 0)
    problems.grade = `Professional judgement cannot lower an actuarial High (${yesCount} “yes” answers) to ${GRADE_LABELS[chosen]} (DASH-04): the grade stays High`;
  else if (chosen && chosen !== actuarial && reason.length < MIN_REASON_LENGTH)
    problems.judgementReason = `Write down why you grade this ${GRADE_LABELS[chosen]} rather than the actuarial ${GRADE_LABELS[actuarial]} (at least ${MIN_REASON_LENGTH} characters)`;
  if (judgement.referral && ageBand === 'under_16')
    problems.judgementReferral = 'MARAC works only with victims aged 16 or over: refer a victim under 16 to child safeguarding instead (DASH-07)';
  else if (judgement.referral && reason.length < MIN_REASON_LENGTH && !problems.judgementReason)
    problems.judgementReason = `Write down the concerns behind a MARAC referral on professional judgement (at least ${MIN_REASON_LENGTH} characters, DASH-03)`;
  if (reason.length > MAX_REASON_LENGTH)
    problems.judgementReason = `Keep your professional judgement to ${MAX_REASON_LENGTH.toLocaleString('en-GB')} characters or fewer`;
  return problems;
}

function londonDay(date: Date): number {
  const w = londonWallClock(date);
  return w.year * 10_000 + w.month * 100 + w.day;
}

/**
 * DASH-03 (d): whether `incidentAt` falls within 12 months of `referralAt`, by London calendar day (the anniversary
 * itself counts, the day after does not), so a GMT/BST change between the two never moves the edge by an hour.
 */
export function withinTwelveMonths(referralAt: Date, incidentAt: Date): boolean {
  // An unreadable date is refused by factProblems; here it simply meets no criterion.
  if (Number.isNaN(referralAt.getTime()) || Number.isNaN(incidentAt.getTime()) || referralAt.getTime() > incidentAt.getTime()) return false;
  return londonDay(incidentAt) <= londonDay(addCalendarMonths(referralAt, 12));
}

/** DASH-03 (b–d): the criteria that do not depend on the form's questions. */
export function otherMaracReasons(facts: RiskFacts, judgement: Judgement, settings: ScoringSettings): MaracReason[] {
  const reasons: MaracReason[] = [];
  if (judgement.referral)
    reasons.push({ code: 'professional_judgement', rule: 'DASH-03(b)', text: 'Referral on professional judgement, with the concerns written down' });
  const prior = facts.priorIncidents12Months;
  if (prior !== null && prior >= settings.maracEscalationIncidents)
    reasons.push({
      code: 'escalation',
      rule: 'DASH-03(c)',
      text: `Potential escalation: ${prior} domestic abuse incidents in the previous 12 months (threshold ${settings.maracEscalationIncidents})`,
    });
  if (facts.lastMaracReferralAt && withinTwelveMonths(facts.lastMaracReferralAt, facts.incidentAt))
    reasons.push({ code: 'repeat', rule: 'DASH-03(d)', text: 'Repeat: a further incident within 12 months of the last MARAC referral' });
  return reasons;
}

/** DASH-07 and DA-01: who takes the case, by the victim's age. */
export function routeByAge(ageBand: AgeBand | null): Routing {
  switch (ageBand) {
    case 'under_16':
      return {
        route: 'child_safeguarding',
        maracEligible: false,
        advice: [
          'The victim is under 16: refer to child safeguarding (children’s social care) now. MARAC works only with victims aged 16 or over, and the Domestic Abuse Act definition needs both people to be 16 or over (DA-01).',
        ],
      };
    case '16_17':
      return {
        route: 'young_person',
        maracEligible: true,
        advice: [
          'The victim is 16 or 17: refer to children’s social care as well as to MARAC when the criteria are met.',
          'Use the SafeLives young people’s checklist (ages 13–17) alongside this form.',
        ],
      };
    case '18_plus':
      return { route: 'adult', maracEligible: true, advice: [] };
    default:
      return { route: 'unknown', maracEligible: true, advice: ['Record the victim’s age band: routing depends on it (DASH-07).'] };
  }
}

/**
 * The scoring shared by yes-count forms such as DASH 2009: count the "yes" answers of the main questions (never the
 * follow-ups), grade by the bands, then judgement, MARAC and routing. `visibleHighRiskFrom` is the form's own MARAC
 * count (DASH-03 a), independent of the local grading bands.
 */
export function scoreByYesCount(
  form: FormShape,
  visibleHighRiskFrom: number,
  flagsFor: (answers: Answers) => HighRiskFlag[],
  answers: Answers,
  facts: RiskFacts,
  settings: ScoringSettings,
  judgement: Judgement = NO_JUDGEMENT,
): RiskScore {
  const questions = questionsOf(form);
  const yesCount = questions.filter((q) => answers[q.id]?.answer === 'yes').length;
  const answered = questions.filter((q) => isAnswerValue(answers[q.id]?.answer)).length;
  const missing = missingQuestions(form, answers);
  const actuarial = actuarialGrade(yesCount, settings);
  const { grade, source } = resolveGrade(actuarial, judgement);
  const reasons: MaracReason[] = [];
  if (yesCount >= visibleHighRiskFrom)
    reasons.push({ code: 'visible_high_risk', rule: 'DASH-03(a)', text: `Visible high risk: ${yesCount} “yes” answers (${visibleHighRiskFrom} or more)` });
  reasons.push(...otherMaracReasons(facts, judgement, settings));
  const routing = routeByAge(facts.victimAgeBand);
  if (!routing.maracEligible && reasons.length > 0) routing.advice.push('The MARAC criteria are met: pass them to child safeguarding with the referral.');
  return {
    formVersion: form.version,
    yesCount,
    answered,
    total: questions.length,
    missing,
    complete: missing.length === 0,
    actuarialGrade: actuarial,
    grade,
    gradeSource: source,
    marac: { referral: routing.maracEligible && reasons.length > 0, reasons },
    highRiskFlags: flagsFor(answers),
    routing,
    // Only the scoring settings, even when handed the whole configuration section.
    settings: {
      dashMediumFrom: settings.dashMediumFrom,
      dashHighFrom: settings.dashHighFrom,
      maracEscalationIncidents: settings.maracEscalationIncidents,
      visibleHighRiskFrom,
    },
  };
}

export interface AssessmentInput {
  answers: Answers;
  facts: RiskFacts;
  judgement: Judgement;
}

/**
 * Everything that stops a save (`draft`) or a completion (`complete`), per field: answers, facts and judgement. At
 * completion the unanswered questions are listed too (DASH-01). Empty when the assessment may be saved or completed.
 */
export function assessmentProblems(form: RiskForm, input: AssessmentInput, settings: ScoringSettings, mode: 'draft' | 'complete'): Record<string, string> {
  const problems = answerProblems(form, input.answers);
  if (Object.keys(problems).length > 0) return problems;
  const score = form.score(input.answers, input.facts, settings, input.judgement);
  Object.assign(problems, factProblems(input.facts, mode), judgementProblems(score.actuarialGrade, score.yesCount, input.judgement, input.facts.victimAgeBand));
  if (mode === 'complete') for (const id of score.missing) problems[id] = `Answer ${questionLabel(form, id)} (Yes, No or Not known)`;
  return problems;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
