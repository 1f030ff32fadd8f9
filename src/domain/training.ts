/**
 * SC-8 (competency standards) and SC-4: whether a member of staff's recorded training lets them work RVR calls.
 * Pure: the courses the force requires (TRAINING_REQUIRED_COURSES), the person's training records and the time.
 * A course counts when a record of it was completed on or before now and has not expired (an expiry is the last day
 * it is valid, to the end of that day in UTC). No required course means no gate.
 */

export interface Course {
  code: string;
  label: string;
}

export interface TrainingRecordFacts {
  course: string;
  completedOn: Date;
  /** Null: it does not expire. */
  expiresOn: Date | null;
}

export type CourseStatus =
  { course: Course; state: 'current'; expiresOn: Date | null } | { course: Course; state: 'expired'; expiredOn: Date } | { course: Course; state: 'missing' };

export interface TrainingStatus {
  /** Every required course is current. */
  mayWorkCalls: boolean;
  courses: CourseStatus[];
}

const DAY = 86_400_000;

/** The end of the expiry day (UTC): a record expiring on 31 March is still valid all that day. */
const validUntil = (expiresOn: Date) => new Date(Math.floor(expiresOn.getTime() / DAY) * DAY + DAY);

export function trainingStatus(required: readonly Course[], records: readonly TrainingRecordFacts[], now: Date): TrainingStatus {
  const courses = required.map((course): CourseStatus => {
    const taken = records.filter((r) => r.course === course.code && r.completedOn.getTime() <= now.getTime());
    const current = taken.filter((r) => r.expiresOn === null || validUntil(r.expiresOn).getTime() > now.getTime());
    if (current.length > 0) {
      const open = current.some((r) => r.expiresOn === null);
      const latest = open ? null : new Date(Math.max(...current.map((r) => r.expiresOn!.getTime())));
      return { course, state: 'current', expiresOn: latest };
    }
    if (taken.length > 0) return { course, state: 'expired', expiredOn: new Date(Math.max(...taken.map((r) => r.expiresOn!.getTime()))) };
    return { course, state: 'missing' };
  });
  return { mayWorkCalls: courses.every((c) => c.state === 'current'), courses };
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** What to tell an officer refused a call: which course, why, and what to do (SC-8). */
export function trainingRefusal(status: TrainingStatus): string | undefined {
  if (status.mayWorkCalls) return undefined;
  const lapsed = status.courses
    .filter((c) => c.state !== 'current')
    .map((c) => (c.state === 'expired' ? `${c.course.label} (expired on ${day(c.expiredOn)})` : `${c.course.label} (no record)`));
  return (
    `You cannot take RVR calls until your training is up to date: ${lapsed.join('; ')}. ` +
    'Complete the course and ask your RVR administrator to record it on your account; until then leave this call for a trained colleague.'
  );
}
