import { AGE_BAND_LABELS } from '../../control-room/labels.js';
import {
  ANSWER_LABELS,
  DASH_ALWAYS_HIGH_FROM,
  GRADE_LABELS,
  type Answers,
  type Judgement,
  type RiskFacts,
  type RiskForm,
  type RiskScore,
} from '../../../domain/risk-forms/risk-form.js';

const ROUTE_LABELS: Record<RiskScore['routing']['route'], string> = {
  child_safeguarding: 'Child safeguarding (victim under 16)',
  young_person: 'MARAC and children’s social care (victim 16 or 17)',
  adult: 'Adult',
  unknown: 'Not known (age band not recorded)',
};

export function routeLabel(route: string): string {
  return ROUTE_LABELS[route as RiskScore['routing']['route']] ?? route;
}

/**
 * The completed form as a plain-text document: what the evidence master holds (DASH-02). Everything needed to read it
 * without the platform: the form and its version, every question with its answer and comment, the facts, the result
 * and the settings it was scored with.
 */
export function renderRiskAssessment(input: {
  form: RiskForm;
  reference: string;
  version: number;
  amendmentReason: string | null;
  completedAt: Date;
  completedBy: string;
  answers: Answers;
  facts: RiskFacts;
  judgement: Judgement;
  score: RiskScore;
}): string {
  const { form, answers, facts, judgement, score } = input;
  const lines: string[] = [
    `RISK ASSESSMENT: ${form.title} (form version ${form.version})`,
    `Consultation: ${input.reference}`,
    `Assessment version: ${input.version}`,
    ...(input.amendmentReason ? [`Amends the previous version because: ${input.amendmentReason}`] : []),
    `Completed: ${input.completedAt.toISOString()} by ${input.completedBy}`,
    '',
    'FACTS',
    `Victim's age band: ${facts.victimAgeBand ? AGE_BAND_LABELS[facts.victimAgeBand] : 'Not recorded'}`,
    `Domestic abuse incidents in the 12 months before this one: ${facts.priorIncidents12Months ?? 'Not recorded'}`,
    `Last MARAC referral: ${facts.lastMaracReferralAt ? facts.lastMaracReferralAt.toISOString().slice(0, 10) : 'None recorded'}`,
    `This incident reported: ${facts.incidentAt.toISOString()}`,
  ];
  for (const section of form.sections) {
    lines.push('', section.title.toUpperCase());
    for (const question of section.questions) {
      const entry = answers[question.id];
      lines.push(`${question.number}. ${question.text}`, `   Answer: ${entry?.answer ? ANSWER_LABELS[entry.answer] : 'Not answered'}`);
      if (entry?.comment?.trim()) lines.push(`   Comment: ${entry.comment.trim()}`);
      if (question.followUp && entry?.answer === question.followUp.when) {
        const followUp = answers[question.followUp.id];
        lines.push(
          `   ${question.number} (follow-up). ${question.followUp.text}`,
          `      Answer: ${followUp?.answer ? ANSWER_LABELS[followUp.answer] : 'Not answered'}`,
        );
        if (followUp?.comment?.trim()) lines.push(`      Comment: ${followUp.comment.trim()}`);
      }
    }
  }
  const settings = score.settings;
  lines.push(
    '',
    'RESULT',
    `"Yes" answers: ${score.yesCount} of ${score.total}`,
    `Actuarial grade: ${GRADE_LABELS[score.actuarialGrade]}`,
    `Grade: ${GRADE_LABELS[score.grade]}${score.gradeSource === 'actuarial' ? '' : ` (${score.gradeSource} by professional judgement)`}`,
    `Professional judgement: ${judgement.reason?.trim() || 'None written'}`,
    `MARAC referral: ${score.marac.referral ? 'Yes' : 'No'}`,
    ...score.marac.reasons.map((r) => `   ${r.rule}: ${r.text}`),
    `High-risk (homicide) indicators: ${score.highRiskFlags.length ? score.highRiskFlags.map((f) => f.label).join('; ') : 'None'}`,
    `Routing: ${routeLabel(score.routing.route)}`,
    ...score.routing.advice.map((a) => `   ${a}`),
    `Scored with: Medium from ${settings.dashMediumFrom} "yes", High from ${Math.min(settings.dashHighFrom, DASH_ALWAYS_HIGH_FROM)} (DASH-04: always from 14 at most), visible high risk from ${settings.visibleHighRiskFrom}, escalation from ${settings.maracEscalationIncidents} incidents`,
    '',
  );
  return lines.join('\n');
}
