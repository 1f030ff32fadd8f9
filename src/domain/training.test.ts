import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { trainingRefusal, trainingStatus, type Course, type TrainingRecordFacts } from './training.js';

const RVR: Course = { code: 'RVR_OFFICER', label: 'RVR officer course' };
const DA: Course = { code: 'DA_AWARE', label: 'Domestic abuse awareness' };
const at = (iso: string) => new Date(iso);

describe('training status (SC-8)', () => {
  it('SC-8: no required course means no gate', () => {
    assert.deepEqual(trainingStatus([], [], at('2027-01-01T00:00:00Z')), { mayWorkCalls: true, courses: [] });
    assert.equal(trainingRefusal(trainingStatus([], [], at('2027-01-01T00:00:00Z'))), undefined);
  });

  it('SC-8: a course is current through the whole of its expiry day (UTC), and lapsed the next day', () => {
    const records: TrainingRecordFacts[] = [{ course: 'RVR_OFFICER', completedOn: at('2026-01-10T00:00:00Z'), expiresOn: at('2027-01-09T00:00:00Z') }];
    assert.equal(trainingStatus([RVR], records, at('2027-01-09T23:59:59Z')).mayWorkCalls, true);
    const lapsed = trainingStatus([RVR], records, at('2027-01-10T00:00:00Z'));
    assert.equal(lapsed.mayWorkCalls, false);
    assert.deepEqual(lapsed.courses, [{ course: RVR, state: 'expired', expiredOn: at('2027-01-09T00:00:00Z') }]);
    assert.match(trainingRefusal(lapsed)!, /RVR officer course \(expired on 2027-01-09\).*ask your RVR administrator to record it/);
  });

  it('SC-8: a missing course, or one completed only in the future, is named as having no record', () => {
    const future: TrainingRecordFacts[] = [{ course: 'RVR_OFFICER', completedOn: at('2027-06-01T00:00:00Z'), expiresOn: null }];
    const status = trainingStatus([RVR, DA], future, at('2027-01-01T00:00:00Z'));
    assert.deepEqual(
      status.courses.map((c) => c.state),
      ['missing', 'missing'],
    );
    assert.match(trainingRefusal(status)!, /RVR officer course \(no record\); Domestic abuse awareness \(no record\)/);
  });

  it('SC-8: a newer record renews a lapsed course; one that does not expire is current for good', () => {
    const records: TrainingRecordFacts[] = [
      { course: 'RVR_OFFICER', completedOn: at('2024-01-01T00:00:00Z'), expiresOn: at('2025-01-01T00:00:00Z') },
      { course: 'RVR_OFFICER', completedOn: at('2026-01-01T00:00:00Z'), expiresOn: at('2027-01-01T00:00:00Z') },
      { course: 'DA_AWARE', completedOn: at('2020-01-01T00:00:00Z'), expiresOn: null },
    ];
    const status = trainingStatus([RVR, DA], records, at('2026-06-01T00:00:00Z'));
    assert.equal(status.mayWorkCalls, true);
    assert.deepEqual(status.courses[0], { course: RVR, state: 'current', expiresOn: at('2027-01-01T00:00:00Z') });
    assert.deepEqual(status.courses[1], { course: DA, state: 'current', expiresOn: null });
  });

  it('SC-8 (property): may work calls exactly when every required course has a record completed by now and valid through today', () => {
    const dayMs = 86_400_000;
    const record = fc.record({
      course: fc.constantFrom('RVR_OFFICER', 'DA_AWARE', 'OTHER'),
      completedDay: fc.integer({ min: 0, max: 60 }),
      validDays: fc.option(fc.integer({ min: 1, max: 60 }), { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 6 }), fc.integer({ min: 0, max: 120 }), fc.subarray([RVR, DA]), (raw, nowDay, required) => {
        const base = Date.UTC(2027, 0, 1);
        const records: TrainingRecordFacts[] = raw.map((r) => ({
          course: r.course,
          completedOn: new Date(base + r.completedDay * dayMs),
          expiresOn: r.validDays === null ? null : new Date(base + (r.completedDay + r.validDays) * dayMs),
        }));
        const now = new Date(base + nowDay * dayMs + 12 * 3_600_000);
        const valid = (c: Course) =>
          raw.some((r) => r.course === c.code && r.completedDay <= nowDay && (r.validDays === null || r.completedDay + r.validDays >= nowDay));
        const status = trainingStatus(required, records, now);
        assert.equal(status.mayWorkCalls, required.every(valid));
        assert.equal(trainingRefusal(status) === undefined, status.mayWorkCalls);
      }),
    );
  });
});
