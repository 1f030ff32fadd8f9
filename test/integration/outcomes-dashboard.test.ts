import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { seedConsultation } from '../support/outcome-fixtures.js';
import { Browser, buildTestApp, createUser, type TestApp } from '../support/test-app.js';

/** The value a dashboard cell carries for machines (data-value), by its data-testid. */
function cell(html: string, testId: string): string {
  const match = new RegExp(`data-testid="measure-${testId}" data-value="([^"]*)"`).exec(html);
  assert.ok(match, `no cell measure-${testId}`);
  return match[1]!;
}

// Issue 7 item 7 (policy 2.2, RVR-09): every figure checked against values worked out by hand from this fixture.
// Range: London days 28–30 March 2026, across the clocks going forward (01:00 UTC on Sunday 29 March).
// Times are seconds after the call was received; each call is triaged 30 s after it was received.
await describeOnDatabase('outcome measures dashboard (issue 7 item 7, RVR-09)', (kind) => {
  let t: TestApp;
  let supervisor: Browser;
  before(async () => {
    t = await buildTestApp(kind);
    await createUser(t.services, 'od-supervisor', ['supervisor']);
    supervisor = new Browser(t.app);
    await supervisor.signIn('od-supervisor');
    const db = t.db.database;
    // C1: connected in 180 s, queued 40 → accepted 100 (60 s), ended 1380 (officer 1280 s), one call on video 180 → 1380 (1200 s).
    //     Arrest requested; risk v1 superseded (no MARAC) then v2 completed with MARAC; survey answered 5.
    await seedConsultation(db, {
      triagedAt: '2026-03-28T14:00:00Z',
      consented: true,
      queued: 40,
      accepted: 100,
      invited: 120,
      victimJoined: 150,
      connected: 180,
      end: { at: 1380, state: 'completed' },
      calls: [{ opened: 110, connected: 180, ended: 1380 }],
      outcomes: ['arrest_requested', 'crime_recorded'],
      risk: [
        { version: 1, state: 'superseded', marac: false },
        { version: 2, state: 'completed', marac: true },
      ],
      survey: { state: 'answered', rating: 5 },
    });
    // C2: connected in 120 s, queue 30 (40 → 70), officer 70 → 970 (900 s); two calls on video 200 s + 400 s = 600 s;
    //     the victim used the quick exit in the first. Risk v1 MARAC but superseded by v2 without: not a referral. Survey answered 3.
    await seedConsultation(db, {
      triagedAt: '2026-03-28T15:00:00Z',
      consented: true,
      queued: 40,
      accepted: 70,
      invited: 80,
      victimJoined: 100,
      connected: 120,
      end: { at: 970, state: 'completed' },
      calls: [
        { opened: 75, connected: 120, ended: 320, quickExitBy: 'victim' },
        { opened: 330, connected: 370, ended: 770 },
      ],
      risk: [
        { version: 1, state: 'superseded', marac: true },
        { version: 2, state: 'signed_off', marac: false },
      ],
      survey: { state: 'answered', rating: 3 },
    });
    // C3: connected in 300 s, queue 90 (60 → 150), officer 150 → 750 (600 s), video 300 → 740 (440 s);
    //     escalated to attendance from connected (an escalation); an interpreter's quick exit (not the victim's);
    //     a draft risk assessment (no MARAC flag yet); survey sent, not answered.
    await seedConsultation(db, {
      triagedAt: '2026-03-28T16:00:00Z',
      consented: true,
      queued: 60,
      accepted: 150,
      invited: 170,
      victimJoined: 200,
      connected: 300,
      end: { at: 750, state: 'escalated_to_attendance', reason: 'Suspect returned' },
      calls: [{ opened: 160, connected: 300, ended: 740, quickExitBy: 'interpreter' }],
      risk: [{ version: 1, state: 'draft', marac: null }],
      survey: { state: 'sent' },
    });
    // C4: accepted and invited, the victim never joined: abandoned. Queue 45 (50 → 95), officer 95 → 695 (600 s).
    //     Not in time to officer. An "attendance escalated" outcome was recorded: an escalation.
    await seedConsultation(db, {
      triagedAt: '2026-03-28T17:00:00Z',
      consented: true,
      queued: 50,
      accepted: 95,
      invited: 100,
      end: { at: 695, state: 'abandoned', reason: 'No answer' },
      calls: [{ opened: 97, ended: 690 }],
      outcomes: ['attendance_escalated'],
    });
    // C5: queued, then routed to attendance because no RVR officer was available (not an escalation).
    await seedConsultation(db, {
      triagedAt: '2026-03-29T12:00:00Z',
      consented: true,
      queued: 40,
      end: { at: 400, state: 'escalated_to_attendance', reason: 'No RVR officer available' },
    });
    // C6: eligible but the caller did not consent. 23:30 UTC on the 29th is 00:30 BST on the 30th.
    await seedConsultation(db, { triagedAt: '2026-03-29T23:30:00Z', consented: false, end: { at: 60, state: 'abandoned', reason: 'Declined' } });
    // C7: ineligible, routed to attendance at triage.
    await seedConsultation(db, { triagedAt: '2026-03-29T13:00:00Z', triage: 'ineligible', end: { at: 40, state: 'escalated_to_attendance' } });
    // C8: the first instant of the range (00:00 GMT on the 28th); ineligible, overridden by a supervisor, connected in 240 s;
    //     queue 20 (40 → 60), officer 60 → 1060 (1000 s), video 240 → 1040 (800 s); two arrest requests (one call);
    //     risk v1 signed off with MARAC; survey answered 4.
    await seedConsultation(db, {
      triagedAt: '2026-03-28T00:00:00Z',
      triage: 'overridden',
      consented: true,
      queued: 40,
      accepted: 60,
      invited: 70,
      victimJoined: 200,
      connected: 240,
      end: { at: 1060, state: 'completed' },
      calls: [{ opened: 65, connected: 240, ended: 1040 }],
      outcomes: ['arrest_requested', 'arrest_requested'],
      risk: [{ version: 1, state: 'signed_off', marac: true }],
      survey: { state: 'answered', rating: 4 },
    });
    // C9: the last instant of the range, 22:59:59 UTC on the 30th = 23:59:59 BST. Ineligible, still open; a survey not yet sent.
    await seedConsultation(db, { triagedAt: '2026-03-30T22:59:59Z', triage: 'ineligible', survey: { state: 'scheduled' } });
    // Outside the range on both sides (each would pull the times down to 60 s if wrongly counted):
    // 23:59:59 GMT on the 27th, and 00:00 BST on the 31st (23:00 UTC on the 30th).
    for (const triagedAt of ['2026-03-27T23:59:59Z', '2026-03-30T23:00:00Z']) {
      await seedConsultation(db, {
        triagedAt,
        consented: true,
        queued: 31,
        accepted: 32,
        invited: 33,
        victimJoined: 34,
        connected: 60,
        end: { at: 61, state: 'completed' },
        survey: { state: 'answered', rating: 1 },
      });
    }
  });
  after(() => t.close());

  it('computes every figure as worked out by hand (C1–C9 in range)', async () => {
    const { total } = await t.services.outcomes.dashboard({ from: '2026-03-28', to: '2026-03-30' });
    assert.equal(total.callsTriaged, 9); // C1..C9; the two outside calls excluded
    // Eligible: C1 C2 C3 C4 C5 C6 C8 = 7 of 9
    assert.deepEqual(total.eligible, { count: 7, of: 9, percent: (7 / 9) * 100 });
    // Consented (both consents) of eligible: all but C6 = 6 of 7
    assert.deepEqual(total.consented, { count: 6, of: 7, percent: (6 / 7) * 100 });
    // Connected of consented: C1 C2 C3 C8 = 4 of 6
    assert.deepEqual(total.connected, { count: 4, of: 6, percent: (4 / 6) * 100 });
    // Time to officer over connected calls only: [180, 120, 300, 240] → sorted [120, 180, 240, 300];
    // median (180 + 240) / 2 = 210; p90 rank ⌈0.9 × 4⌉ = 4 → 300. C4 (never connected) is not in it.
    assert.deepEqual(total.timeToOfficer, { count: 4, medianSeconds: 210, p90Seconds: 300 });
    // Queue: [60, 30, 90, 45, 20] → sorted [20, 30, 45, 60, 90]; median 45; p90 rank ⌈4.5⌉ = 5 → 90. C5 never accepted.
    assert.deepEqual(total.queueWait, { count: 5, medianSeconds: 45, p90Seconds: 90 });
    assert.equal(total.noOfficerAvailable, 1); // C5
    // Officer time (accepted → ended): [1280, 900, 600, 600, 1000] → sorted [600, 600, 900, 1000, 1280];
    // median 900; p90 rank 5 → 1280; total 1280 + 900 + 600 + 600 + 1000 = 4380.
    assert.deepEqual(total.officerTime, { count: 5, medianSeconds: 900, p90Seconds: 1280, totalSeconds: 4380 });
    // Video: C1 1200, C2 200 + 400 = 600, C3 440, C8 800 → sorted [440, 600, 800, 1200]; median 700; p90 rank 4 → 1200.
    // C4's call never connected.
    assert.deepEqual(total.videoTime, { count: 4, medianSeconds: 700, p90Seconds: 1200 });
    assert.equal(total.arrestsRequested, 2); // C1, C8 (C8's two requests count as one call)
    assert.equal(total.maracReferrals, 2); // C1 (latest v2), C8; not C2 (latest v2 has none), not C3 (draft)
    assert.equal(total.escalations, 2); // C3 (from connected), C4 (outcome); not C5 (no officer) nor C7 (at triage)
    assert.equal(total.quickExits, 1); // C2 (victim); C3's was the interpreter's
    // Surveys: sent C1 C2 C3 C8 = 4 (C9's is only scheduled); answered 5, 3, 4 → 3 of 4 = 75 %;
    // mean (5 + 3 + 4) / 3 = 4; ratings 1..5 = [0, 0, 1, 1, 1]; rated 4 or 5: 2 of 3.
    assert.deepEqual(total.satisfaction, {
      sent: 4,
      answered: 3,
      responseRate: { count: 3, of: 4, percent: 75 },
      meanRating: 4,
      distribution: [0, 0, 1, 1, 1],
      satisfied: { count: 2, of: 3, percent: (2 / 3) * 100 },
    });
  });

  it('counts each call on its London day, across the clocks going forward', async () => {
    const { days } = await t.services.outcomes.dashboard({ from: '2026-03-28', to: '2026-03-30' });
    // 28th: C1 C2 C3 C4 C8; 29th: C5 C7; 30th: C6 (00:30 BST) and C9 (23:59:59 BST)
    assert.deepEqual(
      days.map((d) => [d.day, d.measures.callsTriaged]),
      [
        ['2026-03-28', 5],
        ['2026-03-29', 2],
        ['2026-03-30', 2],
      ],
    );
    // 28th: time to officer [180, 120, 300, 240] → median 210
    assert.equal(days[0]!.measures.timeToOfficer.medianSeconds, 210);
    const only29 = await t.services.outcomes.dashboard({ from: '2026-03-29', to: '2026-03-29' });
    assert.equal(only29.total.callsTriaged, 2); // C5, C7: C6 is 23:30 UTC on the 29th but 00:30 BST on the 30th
    const only30 = await t.services.outcomes.dashboard({ from: '2026-03-30', to: '2026-03-30' });
    assert.equal(only30.total.callsTriaged, 2); // C6, C9; the 23:00 UTC call is already 31 March in London
    const only27 = await t.services.outcomes.dashboard({ from: '2026-03-27', to: '2026-03-27' });
    // The call at 23:59:59 GMT on the 27th: time to officer 60 s (queued 31 → accepted 32: 1 s in the queue)
    assert.equal(only27.total.callsTriaged, 1);
    assert.deepEqual(only27.total.timeToOfficer, { count: 1, medianSeconds: 60, p90Seconds: 60 });
  });

  it('shows the figures on the page with their definitions, a chart per group with its table, and the same figures as CSV', async () => {
    const page = await supervisor.get('/outcomes?from=2026-03-28&to=2026-03-30');
    assert.equal(page.statusCode, 200);
    const html = page.body;
    assert.equal(cell(html, 'calls-triaged'), '9');
    assert.equal(cell(html, 'connected'), '4');
    assert.equal(cell(html, 'time-to-officer-median'), '210');
    assert.equal(cell(html, 'time-to-officer-p90'), '300');
    assert.equal(cell(html, 'queue-wait-median'), '45');
    assert.equal(cell(html, 'no-officer'), '1');
    assert.equal(cell(html, 'officer-time-total'), '4380');
    assert.equal(cell(html, 'escalations'), '2');
    assert.equal(cell(html, 'satisfaction-mean'), '4');
    assert.equal(cell(html, 'response-rate'), '75');
    assert.equal(cell(html, 'rating-5'), '1');
    assert.match(html, /data-testid="measure-time-to-officer-median"[^>]*>3 min 30 s</);
    for (const chart of ['funnel', 'satisfaction', 'per-day']) {
      assert.match(html, new RegExp(`<svg [^>]*aria-labelledby="${chart}-title ${chart}-desc" data-testid="chart-${chart}"><title id="${chart}-title">`));
    }
    assert.match(html, /data-testid="ratings-table"/);
    assert.match(html, /data-testid="days-table"/);
    assert.match(html, /data-testid="definition-time-to-officer">[^<]*nearest-rank/);
    assert.doesNotMatch(html, /NaN/);

    const csv = await supervisor.get('/outcomes/export.csv?from=2026-03-28&to=2026-03-30');
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(String(csv.headers['content-disposition']), /rvr-outcome-measures-2026-03-28-to-2026-03-30\.csv/);
    const [header, all, ...days] = csv.body.trimEnd().split('\r\n');
    const columns = header!.split(',');
    const value = (row: string, column: string) => row.split(',')[columns.indexOf(column)];
    assert.equal(value(all!, 'period'), '2026-03-28..2026-03-30');
    assert.equal(value(all!, 'calls_triaged'), '9');
    assert.equal(value(all!, 'time_to_officer_median_seconds'), '210');
    assert.equal(value(all!, 'time_to_officer_p90_seconds'), '300');
    assert.equal(value(all!, 'officer_time_total_seconds'), '4380');
    assert.equal(value(all!, 'satisfaction_mean_rating'), '4');
    assert.equal(days.length, 3);
    assert.equal(value(days[2]!, 'period'), '2026-03-30');
    assert.equal(value(days[2]!, 'calls_triaged'), '2');
  });

  it('policy 2.2: breaks the measures down by the victim’s sex, the relationship and the trial arm, and female intimate-partner victims by arm', async () => {
    const db = t.db.database;
    // A separate day (12 May 2026): F1 female partner, RVR arm, connected in 100 s, rated 5; F2 female ex-partner, standard arm,
    // rated 2; M1 male relative, not in the trial, rated 4; P1 prefer not to say, partner, not rated; N1 sex not asked.
    const f1 = await seedConsultation(db, {
      triagedAt: '2026-05-12T10:00:00Z',
      consented: true,
      queued: 40,
      accepted: 60,
      invited: 70,
      victimJoined: 90,
      connected: 100,
      end: { at: 900, state: 'completed' },
      survey: { state: 'answered', rating: 5 },
      victimSex: 'female',
      relationship: 'partner',
    });
    const f2 = await seedConsultation(db, {
      triagedAt: '2026-05-12T11:00:00Z',
      consented: true,
      end: { at: 60, state: 'escalated_to_attendance' },
      survey: { state: 'answered', rating: 2 },
      victimSex: 'female',
      relationship: 'ex_partner',
    });
    await seedConsultation(db, {
      triagedAt: '2026-05-12T12:00:00Z',
      consented: true,
      survey: { state: 'answered', rating: 4 },
      victimSex: 'male',
      relationship: 'relative',
    });
    await seedConsultation(db, { triagedAt: '2026-05-12T13:00:00Z', consented: true, victimSex: 'prefer_not_to_say', relationship: 'partner' });
    await seedConsultation(db, { triagedAt: '2026-05-12T14:00:00Z', consented: true, relationship: 'engaged' });
    const [trial] = await queryRows<{ id: string }>(
      db,
      sql`insert into evaluation_trials (seed, block_size, started_at, note) values ('breakdown-seed', 4, '2026-05-12T09:00:00Z', 'fixture') returning id`,
    );
    await db.db.execute(
      sql`insert into evaluation_allocations (consultation_id, trial_id, sequence, arm, allocated_at) values (${f1}, ${trial!.id}, 0, 'rvr', '2026-05-12T10:00:00Z'), (${f2}, ${trial!.id}, 1, 'standard', '2026-05-12T11:00:00Z')`,
    );
    const html = (await supervisor.get('/outcomes?from=2026-05-12&to=2026-05-12')).body;
    assert.equal(cell(html, 'calls-triaged'), '5');
    assert.equal(cell(html, 'sex-female-triaged'), '2');
    assert.equal(cell(html, 'sex-male-triaged'), '1');
    assert.equal(cell(html, 'sex-prefer_not_to_say-triaged'), '1');
    assert.equal(cell(html, 'sex-not_recorded-triaged'), '1');
    assert.equal(cell(html, 'relationship-intimate_partner-triaged'), '4');
    assert.equal(cell(html, 'relationship-family-triaged'), '1');
    assert.equal(cell(html, 'arm-rvr-triaged'), '1');
    assert.equal(cell(html, 'arm-standard-triaged'), '1');
    assert.equal(cell(html, 'arm-not_randomised-triaged'), '3');
    assert.equal(cell(html, 'arm-rvr-time-to-officer'), '100');
    // The comparison the trial reported: female intimate-partner victims, RVR 5 (satisfied) against standard 2 (not).
    assert.equal(cell(html, 'female_intimate_partner_by_arm-rvr-satisfied'), '100');
    assert.equal(cell(html, 'female_intimate_partner_by_arm-standard-satisfied'), '0');
    assert.equal(cell(html, 'female_intimate_partner_by_arm-not_randomised-triaged'), '0');
    assert.doesNotMatch(html, /NaN/);
  });

  it('an empty range says "no calls" and shows no NaN, in the page and the CSV', async () => {
    const page = await supervisor.get('/outcomes?from=2026-01-01&to=2026-01-02');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-testid="no-calls"/);
    assert.equal(cell(page.body, 'calls-triaged'), '0');
    assert.equal(cell(page.body, 'time-to-officer-median'), '');
    assert.equal(cell(page.body, 'eligible-percent'), '');
    assert.doesNotMatch(page.body, /NaN|Infinity/);
    const csv = await supervisor.get('/outcomes/export.csv?from=2026-01-01&to=2026-01-02');
    assert.doesNotMatch(csv.body, /NaN|Infinity|undefined|null/);
  });

  it('refuses a bad range with a 400 and a message for the field, in the page and the CSV', async () => {
    const reversed = await supervisor.get('/outcomes?from=2026-03-30&to=2026-03-28');
    assert.equal(reversed.statusCode, 400);
    assert.match(reversed.body, /data-testid="range-errors"/);
    assert.match(reversed.body, /The end date must be the same as or after the start date/);
    const impossible = await supervisor.get('/outcomes?from=2026-02-30&to=2026-03-28');
    assert.equal(impossible.statusCode, 400);
    assert.match(impossible.body, /Enter the start date as a real date/);
    const csv = await supervisor.get('/outcomes/export.csv?from=2026-03-01&to=x', { accept: 'application/json' });
    assert.equal(csv.statusCode, 400);
    assert.match(csv.body, /Enter the end date as a real date/);
  });

  it('the CSV export is audited with its range', async () => {
    const rows = await queryRows<{ from: string; to: string }>(
      t.db.database,
      sql`select details->>'from' as "from", details->>'to' as "to" from audit_events where what = 'outcomes.exported'`,
    );
    assert.ok(rows.some((r) => r.from === '2026-03-28' && r.to === '2026-03-30'));
  });
});
