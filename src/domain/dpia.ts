/**
 * DP-13 and SC-2: RVR takes live calls only under an approved data protection impact assessment that is in date
 * (reviewed at least annually). Pure rules: the state of the recorded DPIA at a moment, and whether a new record is
 * valid. Dates are calendar days (YYYY-MM-DD, UTC).
 */
export const DPIA_WARN_DAYS = 30;
/** An annual review: the next review is due no later than a year (and a day, for leap years) after approval. */
export const DPIA_MAX_REVIEW_DAYS = 366;
const DAY = 86_400_000;

export interface DpiaRecord {
  reference: string;
  /** Who approved it (name and role), or null while it awaits approval. */
  approvedBy: string | null;
  approvedOn: string | null;
  reviewDue: string;
}

export type DpiaStatus = 'missing' | 'unapproved' | 'review_overdue' | 'review_due_soon' | 'in_date';

export interface DpiaState {
  status: DpiaStatus;
  /** Live calls may be taken (approved and in date; a review due soon still allows them). */
  allowsLiveCalls: boolean;
  /** Shown on the admin and supervisor pages and /health: set from 30 days before the review, and when not allowed. */
  warning?: string;
  /** Whole days until the review (negative once past). */
  daysToReview?: number;
}

export function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY);
}

/** DP-13, SC-2: the state of the current DPIA record (or its absence) on the day of `now`. */
export function dpiaState(record: DpiaRecord | undefined, now: Date): DpiaState {
  if (!record)
    return {
      status: 'missing',
      allowsLiveCalls: false,
      warning: 'No data protection impact assessment is recorded: live calls are refused until an approved DPIA is recorded (DP-13).',
    };
  const daysToReview = daysBetween(dayOf(now), record.reviewDue);
  if (!record.approvedBy || !record.approvedOn)
    return {
      status: 'unapproved',
      allowsLiveCalls: false,
      daysToReview,
      warning: `DPIA ${record.reference} is not approved: live calls are refused until its approval is recorded (DP-13).`,
    };
  if (daysToReview < 0)
    return {
      status: 'review_overdue',
      allowsLiveCalls: false,
      daysToReview,
      warning: `The annual review of DPIA ${record.reference} was due on ${record.reviewDue}: live calls are refused until the review is recorded (SC-2).`,
    };
  if (daysToReview <= DPIA_WARN_DAYS)
    return {
      status: 'review_due_soon',
      allowsLiveCalls: true,
      daysToReview,
      warning: `The annual review of DPIA ${record.reference} is due on ${record.reviewDue} (in ${daysToReview} day${daysToReview === 1 ? '' : 's'}); after that date live calls are refused (SC-2).`,
    };
  return { status: 'in_date', allowsLiveCalls: true, daysToReview };
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const isDay = (value: string) => DAY_PATTERN.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && dayOf(new Date(`${value}T00:00:00Z`)) === value;

export interface DpiaInput {
  reference?: string;
  approvedBy?: string;
  approvedOn?: string;
  reviewDue?: string;
}

/** Validates a DPIA record as entered on the admin page: field errors a person can act on, or the record. */
export function validateDpia(input: DpiaInput, now: Date): { record: DpiaRecord } | { errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const reference = input.reference?.trim() ?? '';
  const approvedBy = input.approvedBy?.trim() ?? '';
  const approvedOn = input.approvedOn?.trim() ?? '';
  const reviewDue = input.reviewDue?.trim() ?? '';
  if (reference.length < 2 || reference.length > 100) errors.reference = 'Enter the DPIA reference (2 to 100 characters)';
  if (approvedBy.length > 200) errors.approvedBy = 'Enter who approved it in 200 characters or fewer';
  if (approvedOn && !isDay(approvedOn)) errors.approvedOn = 'Enter the approval date as YYYY-MM-DD';
  else if (approvedOn && approvedOn > dayOf(now)) errors.approvedOn = 'The approval date cannot be in the future';
  if (Boolean(approvedBy) !== Boolean(approvedOn) && !errors.approvedOn)
    errors[approvedBy ? 'approvedOn' : 'approvedBy'] = approvedBy ? 'Enter the date it was approved' : 'Enter who approved it (name and role)';
  if (!isDay(reviewDue)) errors.reviewDue = 'Enter the annual review date as YYYY-MM-DD';
  else if (approvedOn && isDay(approvedOn)) {
    const days = daysBetween(approvedOn, reviewDue);
    if (days <= 0) errors.reviewDue = 'The review date must be after the approval date';
    else if (days > DPIA_MAX_REVIEW_DAYS) errors.reviewDue = 'The DPIA is reviewed at least annually: the review date must be within a year of approval';
  }
  if (Object.keys(errors).length > 0) return { errors };
  return { record: { reference, approvedBy: approvedBy || null, approvedOn: approvedOn || null, reviewDue } };
}
