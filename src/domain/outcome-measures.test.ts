import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  addDays,
  computeOutcomeMeasures,
  formatDuration,
  formatPercent,
  londonDay,
  londonMidnight,
  measuresByDay,
  median,
  outcomeMeasuresCsv,
  parseDayRange,
  percentileNearestRank,
  ratio,
  summariseDurations,
  type ConsultationFacts,
  femaleIntimatePartnerByArm,
  groupOf,
  measuresBy,
} from './outcome-measures.js';
import { loggableUrl } from '../platform/logging/logger.js';

describe('median', () => {
  it('is null for no values (never NaN)', () => assert.equal(median([]), null));
  it('is the value itself for one value', () => assert.equal(median([42]), 42));
  it('is the middle value for an odd count, whatever the order', () => assert.equal(median([300, 120, 180]), 180));
  it('is the mean of the two middle values for an even count', () => {
    // [60, 120, 180, 600] → (120 + 180) / 2 = 150
    assert.equal(median([600, 60, 180, 120]), 150);
  });
  it('does not reorder the caller’s array', () => {
    const values = [3, 1, 2];
    median(values);
    assert.deepEqual(values, [3, 1, 2]);
  });
});

describe('percentileNearestRank (p90 of the outcome measures)', () => {
  it('is null for no values', () => assert.equal(percentileNearestRank([], 90), null));
  it('is the only value for one value', () => assert.equal(percentileNearestRank([7], 90), 7));
  it('takes rank ⌈0.9 × n⌉ of the sorted values', () => {
    // n = 10: rank ⌈9⌉ = 9 → the 9th smallest of 1..10 = 9
    assert.equal(percentileNearestRank([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 90), 9);
    // n = 3: rank ⌈2.7⌉ = 3 → the largest
    assert.equal(percentileNearestRank([120, 180, 300], 90), 300);
    // n = 11: rank ⌈9.9⌉ = 10 → 10th smallest of 1..11 = 10
    assert.equal(percentileNearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90), 10);
    // p50 of 4 values: rank ⌈2⌉ = 2 (nearest rank never interpolates)
    assert.equal(percentileNearestRank([10, 20, 30, 40], 50), 20);
    assert.equal(percentileNearestRank([10, 20, 30, 40], 100), 40);
  });
  it('refuses a percentile outside (0, 100]', () => {
    assert.throws(() => percentileNearestRank([1], 0), RangeError);
    assert.throws(() => percentileNearestRank([1], 101), RangeError);
  });
  it('is always one of the values, with at least p% of values at or below it (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 100 }), (values, p) => {
        const result = percentileNearestRank(values, p)!;
        assert.ok(values.includes(result));
        assert.ok(values.filter((v) => v <= result).length >= (p / 100) * values.length);
        // …and it is the smallest such value.
        const smaller = values.filter((v) => v < result);
        assert.ok(smaller.length < (p / 100) * values.length);
      }),
    );
  });
});

describe('ratio and durations', () => {
  it('has no percentage (null, not NaN) when there is nothing to divide by', () => {
    assert.deepEqual(ratio(0, 0), { count: 0, of: 0, percent: null });
    assert.equal(formatPercent(ratio(0, 0).percent), '–');
    assert.equal(ratio(1, 4).percent, 25);
  });
  it('leaves out missing and negative durations', () => {
    // [null, -5, 60, 180] → [60, 180]: median (60 + 180) / 2 = 120, p90 rank ⌈1.8⌉ = 2 → 180
    assert.deepEqual(summariseDurations([null, -5, 60, 180]), { count: 2, medianSeconds: 120, p90Seconds: 180 });
  });
  it('formats durations in whole seconds', () => {
    assert.equal(formatDuration(null), '–');
    assert.equal(formatDuration(45.4), '45 s');
    assert.equal(formatDuration(245), '4 min 05 s');
    assert.equal(formatDuration(3720), '1 h 02 min');
  });
});

describe('London calendar days (the dashboard’s range)', () => {
  it('starts a winter day at UTC midnight and a summer day at 23:00 UTC the day before', () => {
    assert.equal(londonMidnight('2026-01-15').toISOString(), '2026-01-15T00:00:00.000Z');
    assert.equal(londonMidnight('2026-07-01').toISOString(), '2026-06-30T23:00:00.000Z');
  });
  it('handles both clock changes (29 March and 25 October 2026)', () => {
    // Clocks go forward at 01:00 UTC on 29 March: that day starts in GMT, the next in BST.
    assert.equal(londonMidnight('2026-03-29').toISOString(), '2026-03-29T00:00:00.000Z');
    assert.equal(londonMidnight('2026-03-30').toISOString(), '2026-03-29T23:00:00.000Z');
    // Clocks go back at 01:00 UTC on 25 October: that day starts in BST, the next in GMT.
    assert.equal(londonMidnight('2026-10-25').toISOString(), '2026-10-24T23:00:00.000Z');
    assert.equal(londonMidnight('2026-10-26').toISOString(), '2026-10-26T00:00:00.000Z');
  });
  it('gives the London day of an instant', () => {
    assert.equal(londonDay(new Date('2026-03-29T23:30:00Z')), '2026-03-30');
    assert.equal(londonDay(new Date('2026-03-29T22:59:59.999Z')), '2026-03-29');
    assert.equal(londonDay(new Date('2026-01-01T00:00:00Z')), '2026-01-01');
    assert.equal(londonDay(new Date('2025-12-31T23:59:59.999Z')), '2025-12-31');
  });
  it('agrees with londonMidnight for every day of a year (property)', () => {
    for (let day = '2026-01-01'; day <= '2026-12-31'; day = addDays(day, 1)) {
      const start = londonMidnight(day);
      assert.equal(londonDay(start), day);
      assert.equal(londonDay(new Date(start.getTime() - 1)), addDays(day, -1));
    }
  });
  it('parses a range of real dates, both days included', () => {
    const result = parseDayRange({ from: '2026-03-29', to: '2026-03-30' }, '2026-04-01');
    assert.ok(result.ok);
    assert.equal(result.range.start.toISOString(), '2026-03-29T00:00:00.000Z');
    // The end is London midnight after 30 March (BST): 23:00 UTC on the 30th.
    assert.equal(result.range.end.toISOString(), '2026-03-30T23:00:00.000Z');
  });
  it('defaults to the 30 days ending today', () => {
    const result = parseDayRange({}, '2026-04-30');
    assert.ok(result.ok);
    assert.equal(result.range.from, '2026-04-01');
    assert.equal(result.range.to, '2026-04-30');
  });
  it('refuses impossible dates, other formats and a start after the end, saying what to fix', () => {
    const bad = (from: string, to: string) => {
      const result = parseDayRange({ from, to }, '2026-04-30');
      assert.ok(!result.ok);
      return result.errors;
    };
    assert.match(bad('2026-02-30', '2026-03-01').from!, /real date/);
    assert.match(bad('01/03/2026', '2026-03-01').from!, /real date/);
    assert.match(bad('2026-03-01', '2026-13-01').to!, /real date/);
    assert.match(bad('2026-03-02', '2026-03-01').to!, /same as or after/);
    assert.match(bad('2020-01-01', '2026-03-01').to!, /at most/);
  });
});

function facts(overrides: Partial<ConsultationFacts>): ConsultationFacts {
  return {
    consultationId: 'c',
    triagedAt: new Date('2026-03-10T12:00:00Z'),
    eligible: false,
    consented: false,
    connected: false,
    secondsToOfficer: null,
    secondsQueued: null,
    officerSeconds: null,
    videoSeconds: null,
    noOfficerAvailable: false,
    escalated: false,
    arrestRequested: false,
    maracReferral: false,
    quickExit: false,
    surveySent: false,
    rating: null,
    ...overrides,
  };
}

describe('computeOutcomeMeasures', () => {
  it('shows zeros and no figures (never NaN) for no calls', () => {
    const m = computeOutcomeMeasures([]);
    assert.equal(m.callsTriaged, 0);
    assert.equal(m.eligible.percent, null);
    assert.equal(m.timeToOfficer.medianSeconds, null);
    assert.equal(m.satisfaction.meanRating, null);
    assert.deepEqual(m.satisfaction.distribution, [0, 0, 0, 0, 0]);
    assert.doesNotMatch(JSON.stringify(m), /NaN/);
  });

  it('counts the funnel against the right denominators and leaves unconnected calls out of time to officer', () => {
    const m = computeOutcomeMeasures([
      facts({ eligible: true, consented: true, connected: true, secondsToOfficer: 120, rating: 5, surveySent: true }),
      facts({ eligible: true, consented: true, connected: true, secondsToOfficer: 300, surveySent: true }),
      // Consented but never connected: its time to officer is not a time to officer.
      facts({ eligible: true, consented: true, connected: false, secondsToOfficer: 999 }),
      facts({ eligible: true, consented: false }),
      // Consent recorded on an ineligible call does not count as "consented" in the funnel.
      facts({ eligible: false, consented: true }),
    ]);
    assert.equal(m.callsTriaged, 5);
    assert.deepEqual(m.eligible, { count: 4, of: 5, percent: 80 });
    assert.deepEqual(m.consented, { count: 3, of: 4, percent: 75 });
    assert.deepEqual(m.connected, { count: 2, of: 3, percent: (2 / 3) * 100 });
    // [120, 300]: median 210, p90 rank ⌈1.8⌉ = 2 → 300
    assert.deepEqual(m.timeToOfficer, { count: 2, medianSeconds: 210, p90Seconds: 300 });
    // 2 texts sent, 1 answered (5)
    assert.deepEqual(m.satisfaction.responseRate, { count: 1, of: 2, percent: 50 });
    assert.equal(m.satisfaction.meanRating, 5);
    assert.deepEqual(m.satisfaction.distribution, [0, 0, 0, 0, 1]);
  });

  it('groups by the London day of triage, including days with no calls', () => {
    const days = measuresByDay({ from: '2026-03-29', to: '2026-03-31' }, [
      facts({ triagedAt: new Date('2026-03-29T23:30:00Z') }), // 00:30 BST on the 30th
      facts({ triagedAt: new Date('2026-03-29T22:30:00Z') }), // 23:30 BST on the 29th
    ]);
    assert.deepEqual(
      days.map((d) => [d.day, d.measures.callsTriaged]),
      [
        ['2026-03-29', 1],
        ['2026-03-30', 1],
        ['2026-03-31', 0],
      ],
    );
  });

  it('writes the CSV as numbers only, one row for the range then one per day', () => {
    const total = computeOutcomeMeasures([facts({ eligible: true, consented: true, connected: true, secondsToOfficer: 90.5 })]);
    const csv = outcomeMeasuresCsv({ from: '2026-03-10', to: '2026-03-11' }, total, measuresByDay({ from: '2026-03-10', to: '2026-03-11' }, []));
    const lines = csv.trimEnd().split('\r\n');
    assert.equal(lines.length, 4);
    const header = lines[0]!.split(',');
    const all = lines[1]!.split(',');
    assert.equal(all[0], '2026-03-10..2026-03-11');
    assert.equal(all[header.indexOf('calls_triaged')], '1');
    assert.equal(all[header.indexOf('time_to_officer_median_seconds')], '90.50');
    assert.equal(all[header.indexOf('satisfaction_mean_rating')], '');
    assert.equal(lines[2]!.split(',')[0], '2026-03-10');
    assert.doesNotMatch(csv, /NaN|undefined|null/);
  });
});

describe('logging the survey link', () => {
  it('never writes the token of /s/<token> to a log', () => {
    assert.equal(loggableUrl('/s/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'), '/s/[redacted]');
    assert.equal(loggableUrl('/outcomes?from=2026-01-01'), '/outcomes?[redacted]');
  });
});

describe('breakdowns (policy 2.2)', () => {
  const sexes = [null, 'female', 'male', 'prefer_not_to_say'];
  const relationships = [
    null,
    'partner',
    'ex_partner',
    'married_or_civil_partners',
    'engaged',
    'relative',
    'parental_relationship',
    'not_personally_connected',
  ];
  const arms = [null, 'rvr', 'standard'];
  const factArb = fc
    .record({
      sex: fc.constantFrom(...sexes),
      relationship: fc.constantFrom(...relationships),
      arm: fc.constantFrom(...arms),
      rating: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
    })
    .map(({ sex, relationship, arm, rating }) => facts({ victimSex: sex, relationship, arm, rating, surveySent: rating !== null }));

  it('policy 2.2: every call falls in exactly one group of each dimension, so the groups add up to the total', () => {
    fc.assert(
      fc.property(fc.array(factArb, { maxLength: 40 }), (all) => {
        for (const dimension of ['sex', 'relationship', 'arm'] as const) {
          const groups = measuresBy(dimension, all);
          assert.equal(
            groups.reduce((n, g) => n + g.measures.callsTriaged, 0),
            all.length,
          );
          assert.equal(
            groups.reduce((n, g) => n + g.measures.satisfaction.answered, 0),
            all.filter((f) => f.rating !== null).length,
          );
        }
      }),
      { numRuns: 200 },
    );
  });

  it('policy 2.2: partners, ex-partners, spouses and the engaged are intimate partners; relatives and co-parents are family', () => {
    for (const r of ['partner', 'ex_partner', 'married_or_civil_partners', 'engaged'])
      assert.equal(groupOf(facts({ relationship: r }), 'relationship'), 'intimate_partner');
    for (const r of ['relative', 'parental_relationship']) assert.equal(groupOf(facts({ relationship: r }), 'relationship'), 'family');
    assert.equal(groupOf(facts({ victimSex: null }), 'sex'), 'not_recorded');
    assert.equal(groupOf(facts({ arm: null }), 'arm'), 'not_randomised');
    const trial = femaleIntimatePartnerByArm([
      facts({ victimSex: 'female', relationship: 'partner', arm: 'rvr', rating: 5 }),
      facts({ victimSex: 'female', relationship: 'relative', arm: 'rvr', rating: 1 }),
      facts({ victimSex: 'male', relationship: 'partner', arm: 'standard', rating: 1 }),
    ]);
    assert.deepEqual(
      trial.map((g) => [g.group, g.measures.callsTriaged]),
      [
        ['rvr', 1],
        ['standard', 0],
        ['not_randomised', 0],
      ],
    );
  });
});
