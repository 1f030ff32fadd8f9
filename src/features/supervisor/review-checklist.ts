/** The supervisor's quality checklist (policy 4.0): what an in-person first response would have covered. */
export const REVIEW_CHECKLIST = [
  { id: 'consent_and_recording_notice', label: 'Consent and recording notice given' },
  { id: 'dash_complete', label: 'DASH risk assessment complete' },
  { id: 'lines_of_enquiry', label: 'Lines of enquiry followed' },
  { id: 'safeguarding_advice', label: 'Safeguarding advice given' },
  { id: 'outcome_appropriate', label: 'Outcome appropriate' },
  { id: 'professionalism', label: 'Professionalism' },
] as const;

export type ChecklistItem = (typeof REVIEW_CHECKLIST)[number]['id'];

export const REVIEW_SCORES = [
  { value: 'met', label: 'Met' },
  { value: 'partly', label: 'Partly met' },
  { value: 'not_met', label: 'Not met' },
  { value: 'not_applicable', label: 'Not applicable' },
] as const;

export type ReviewScore = (typeof REVIEW_SCORES)[number]['value'];

export const MAX_NOTE = 1000;
export const MAX_FEEDBACK = 5000;

export type ReviewForm = Record<string, string | undefined>;

export interface ReviewInput {
  scores: Record<ChecklistItem, { score: ReviewScore; note?: string }>;
  feedback: string;
}

/**
 * Checks a submitted review form (fields `score_<item>`, `note_<item>`, `feedback`). Every item needs a score;
 * "partly met" and "not met" need a note saying what was missing; written feedback is required.
 */
export function parseReviewForm(form: ReviewForm): { ok: true; value: ReviewInput } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const scores = {} as ReviewInput['scores'];
  for (const item of REVIEW_CHECKLIST) {
    const score = form[`score_${item.id}`];
    const note = (form[`note_${item.id}`] ?? '').trim();
    if (!REVIEW_SCORES.some((s) => s.value === score)) {
      errors[`score_${item.id}`] = `Choose how well this was done: ${item.label.toLowerCase()}`;
      continue;
    }
    if ((score === 'partly' || score === 'not_met') && note === '') {
      errors[`note_${item.id}`] = `Say what was missing: ${item.label.toLowerCase()}`;
    } else if (note.length > MAX_NOTE) {
      errors[`note_${item.id}`] = `Keep the note under ${MAX_NOTE} characters`;
    }
    scores[item.id] = note ? { score: score as ReviewScore, note } : { score: score as ReviewScore };
  }
  const feedback = (form.feedback ?? '').trim();
  if (feedback === '') errors.feedback = 'Write feedback for the officer';
  else if (feedback.length > MAX_FEEDBACK) errors.feedback = `Keep the feedback under ${MAX_FEEDBACK.toLocaleString('en-GB')} characters`;
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { scores, feedback } };
}
