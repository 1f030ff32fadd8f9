/**
 * DP-15 (DPA 2018 s.67): a personal-data breach is notified to the ICO without undue delay and, where feasible,
 * within 72 hours of the controller becoming aware of it, unless it is unlikely to result in a risk to the rights
 * and freedoms of individuals; a late notification gives its reasons. Pure rules: the clock, and what the register
 * must still ask for.
 */
export const ICO_NOTIFICATION_HOURS = 72;
const HOUR = 3_600_000;

export const BREACH_RISKS = ['unlikely', 'risk', 'high_risk'] as const;
export type BreachRisk = (typeof BREACH_RISKS)[number];
export const BREACH_RISK_LABELS: Record<BreachRisk, string> = {
  unlikely: 'Unlikely to result in a risk to rights and freedoms',
  risk: 'A risk to rights and freedoms (notify the ICO)',
  high_risk: 'A high risk to rights and freedoms (notify the ICO and the data subjects)',
};

export const BREACH_DECISIONS = ['notify', 'not_notify'] as const;
export type BreachDecision = (typeof BREACH_DECISIONS)[number];

export interface BreachClockInput {
  awareAt: Date;
  risk?: BreachRisk | null;
  decision?: BreachDecision | null;
  icoNotifiedAt?: Date | null;
}

export type BreachClockStatus =
  /** Running: not yet notified and not decided against, within 72 hours. */
  | 'running'
  /** Past 72 hours with no notification and no decision not to notify. */
  | 'overdue'
  | 'notified_in_time'
  | 'notified_late'
  /** Decided not to notify (unlikely to result in a risk): the clock stops. */
  | 'not_required';

export interface BreachClock {
  deadline: Date;
  status: BreachClockStatus;
  /** Milliseconds to the deadline (negative once past); while the clock runs or is overdue. */
  remainingMs: number;
  /** What a person reads: "41 h 12 min left", "Overdue by 3 h 5 min", "Notified 20 h after awareness". */
  summary: string;
}

export function icoDeadline(awareAt: Date): Date {
  return new Date(awareAt.getTime() + ICO_NOTIFICATION_HOURS * HOUR);
}

/** "3 h 5 min" (whole minutes, rounded down; days shown as hours, as the 72-hour clock is counted in hours). */
export function hoursAndMinutes(ms: number): string {
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
}

/** DP-15: the 72-hour ICO clock of one breach at `now`, counted from awareness. */
export function breachClock(breach: BreachClockInput, now: Date): BreachClock {
  const deadline = icoDeadline(breach.awareAt);
  const remainingMs = deadline.getTime() - now.getTime();
  if (breach.icoNotifiedAt) {
    const late = breach.icoNotifiedAt.getTime() > deadline.getTime();
    const took = hoursAndMinutes(breach.icoNotifiedAt.getTime() - breach.awareAt.getTime());
    return {
      deadline,
      remainingMs,
      status: late ? 'notified_late' : 'notified_in_time',
      summary: `ICO notified ${took} after awareness${late ? ' (late)' : ''}`,
    };
  }
  if (breach.decision === 'not_notify')
    return { deadline, remainingMs, status: 'not_required', summary: 'Not notified to the ICO: decided unlikely to result in a risk' };
  if (remainingMs >= 0) return { deadline, remainingMs, status: 'running', summary: `${hoursAndMinutes(remainingMs)} left to notify the ICO` };
  return {
    deadline,
    remainingMs,
    status: 'overdue',
    summary: `Overdue by ${hoursAndMinutes(remainingMs)}: notify the ICO and record the reasons for the delay`,
  };
}

/**
 * DP-15: whether a notification at `at` would be late, so the register asks for the reasons for the delay.
 */
export function notificationIsLate(awareAt: Date, at: Date): boolean {
  return at.getTime() > icoDeadline(awareAt).getTime();
}

/**
 * DP-15: the decision must fit the assessment. Deciding not to notify is open only to a breach assessed as unlikely
 * to result in a risk, and needs its reason; a risk or a high risk is notified. Returns the refusal, or undefined.
 */
export function decisionRefusal(risk: BreachRisk | null | undefined, decision: BreachDecision, reason: string | undefined): string | undefined {
  if (!risk) return 'Assess the risk to rights and freedoms before deciding whether to notify the ICO';
  if (decision === 'not_notify' && risk !== 'unlikely') return 'A breach assessed as a risk or a high risk to rights and freedoms must be notified to the ICO';
  if (decision === 'not_notify' && (reason?.trim().length ?? 0) < 10) return 'Give the reason for not notifying the ICO (at least 10 characters)';
  return undefined;
}

/** DPA 2018 s.68: a high risk is communicated to the data subjects too. */
export function subjectsMustBeTold(risk: BreachRisk | null | undefined): boolean {
  return risk === 'high_risk';
}
