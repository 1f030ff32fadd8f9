// The outcome dashboard's query and computation over many seeded consultations, and its memory.
// Outcome measures dashboard: how long the figures take to compute from the stored events (one SQL read of the
// per-consultation facts + the pure computation) over many seeded consultations spread across 90 days, and the
// memory it needs, on PGlite (and PostgreSQL when reachable).
// Run: npx tsx bench/outcome-measures.ts [consultations]
import { randomUUID } from 'node:crypto';
import { dataAccess } from '../src/composition.js';
import { addDays, londonDay } from '../src/domain/outcome-measures.js';
import { OutcomesService } from '../src/features/outcomes/outcomes.service.js';
import { AuditTrail } from '../src/platform/audit/audit-trail.js';
import type { Database } from '../src/platform/db/database.js';
import { consultationEvents, consultations, incidents } from '../src/features/consultations/consultations.schema.js';
import { triages } from '../src/features/control-room/control-room.schema.js';
import { consultationOutcomes, riskAssessments } from '../src/features/investigation/investigation.schema.js';
import { satisfactionSurveys } from '../src/features/outcomes/outcomes.schema.js';
import { callEvents, calls } from '../src/features/video/video.schema.js';
import { createTestDatabase, postgresSkipReason, type DatabaseKind } from '../test/support/databases.js';
import { printMachine } from './machine.js';

const count = Number(process.argv[2] ?? 10_000);
const DAYS = 90;
const CHUNK = 500;
printMachine();

/** A deterministic spread of journeys: most connect, some are ineligible, some wait for no officer. */
async function seed(database: Database): Promise<void> {
  const end = Date.parse('2026-06-30T12:00:00Z');
  const rows = {
    incidents: [] as (typeof incidents.$inferInsert)[],
    consultations: [] as (typeof consultations.$inferInsert)[],
    events: [] as (typeof consultationEvents.$inferInsert)[],
    triages: [] as (typeof triages.$inferInsert)[],
    calls: [] as (typeof calls.$inferInsert & { id: string })[],
    callEvents: [] as (typeof callEvents.$inferInsert)[],
    outcomes: [] as (typeof consultationOutcomes.$inferInsert)[],
    risk: [] as (typeof riskAssessments.$inferInsert)[],
    surveys: [] as (typeof satisfactionSurveys.$inferInsert)[],
  };
  for (let i = 0; i < count; i += 1) {
    const received = new Date(end - ((i * 7919) % (DAYS * 86_400)) * 1000);
    const s = (seconds: number) => new Date(received.getTime() + seconds * 1000);
    const incidentId = randomUUID();
    const id = randomUUID();
    const eligible = i % 10 !== 0;
    const connected = eligible && i % 7 !== 0;
    const noOfficer = eligible && !connected && i % 2 === 0;
    const state = !eligible ? 'triaged_ineligible' : connected ? 'completed' : noOfficer ? 'escalated_to_attendance' : 'abandoned';
    rows.incidents.push({ id: incidentId, cadReference: `B-${i}`, receivedAt: received, grade: 2, callerName: 'Bench', callerPhone: '+447700900000' });
    rows.consultations.push({
      id,
      reference: `RVR-B-${i}`,
      incidentId,
      state,
      triagedAt: s(30),
      queuedAt: eligible ? s(40) : null,
      acceptedAt: connected ? s(40 + (i % 300)) : null,
      victimJoinedAt: connected ? s(400) : null,
      connectedAt: connected ? s(420 + (i % 200)) : null,
      endedAt: eligible ? s(1500 + (i % 900)) : null,
    });
    rows.events.push({ consultationId: id, toState: eligible ? 'triaged_eligible' : 'triaged_ineligible', actorRole: 'system', at: s(30) });
    if (eligible) {
      rows.events.push({ consultationId: id, fromState: 'triaged_eligible', toState: 'queued', actorRole: 'system', at: s(40) });
      rows.events.push({
        consultationId: id,
        fromState: 'queued',
        toState: state,
        actorRole: 'system',
        reason: noOfficer ? 'No RVR officer available' : 'x',
        at: s(1500),
      });
    }
    rows.triages.push({
      consultationId: id,
      answers: {},
      ruleSetVersion: 1,
      decision: eligible ? 'eligible' : 'ineligible',
      reasons: [],
      overridable: true,
      videoConsentAt: eligible ? s(30) : null,
      recordingConsentAt: eligible ? s(30) : null,
      startedAt: received,
      decidedAt: s(30),
    });
    if (connected) {
      const callId = randomUUID();
      rows.calls.push({ id: callId, consultationId: id, state: 'ended', openedAt: s(300), connectedAt: s(420), endedAt: s(1400) });
      if (i % 25 === 0) rows.callEvents.push({ callId, type: 'quick_exit', role: 'victim', details: {}, at: s(600) });
      if (i % 5 === 0) rows.outcomes.push({ consultationId: id, kind: 'arrest_requested', details: {}, recordedAt: s(1400) });
      rows.risk.push({
        consultationId: id,
        formVersion: 'DASH2009',
        version: 1,
        state: 'completed',
        answers: {},
        maracReferral: i % 9 === 0,
        updatedAt: s(1400),
      });
      rows.surveys.push({
        consultationId: id,
        tokenHash: randomUUID(),
        state: i % 3 === 0 ? 'sent' : 'answered',
        sendAfter: s(5000),
        expiresAt: s(300_000),
        sentAt: s(5000),
        rating: i % 3 === 0 ? null : 1 + (i % 5),
      });
    }
  }
  const insert = async <T>(table: Parameters<Database['db']['insert']>[0], values: T[]) => {
    for (let i = 0; i < values.length; i += CHUNK) await database.db.insert(table).values(values.slice(i, i + CHUNK) as never);
  };
  await insert(incidents, rows.incidents);
  await insert(consultations, rows.consultations);
  await insert(consultationEvents, rows.events);
  await insert(triages, rows.triages);
  await insert(calls, rows.calls);
  await insert(callEvents, rows.callEvents);
  await insert(consultationOutcomes, rows.outcomes);
  await insert(riskAssessments, rows.risk);
  await insert(satisfactionSurveys, rows.surveys);
}

async function run(kind: DatabaseKind): Promise<void> {
  const db = await createTestDatabase(kind);
  try {
    let started = performance.now();
    await seed(db.database);
    const seedMs = performance.now() - started;
    const to = londonDay(new Date('2026-06-30T12:00:00Z'));
    const service = new OutcomesService(dataAccess(db.database), new AuditTrail(), () => new Date('2026-07-01T09:00:00Z'));
    const range = { from: addDays(to, -(DAYS - 1)), to };
    await service.dashboard(range); // warm-up (plans, caches)
    const timings: number[] = [];
    let heapDelta = 0;
    let callsTriaged = 0;
    for (let run = 0; run < 5; run += 1) {
      const heapBefore = process.memoryUsage().heapUsed;
      started = performance.now();
      const dashboard = await service.dashboard(range);
      timings.push(performance.now() - started);
      heapDelta = Math.max(heapDelta, process.memoryUsage().heapUsed - heapBefore);
      callsTriaged = dashboard.total.callsTriaged;
    }
    timings.sort((a, b) => a - b);
    started = performance.now();
    await service.dashboard({ from: to, to });
    const oneDayMs = performance.now() - started;
    console.log(
      `${kind.padEnd(8)} ${callsTriaged} consultations over ${DAYS} days (seeded in ${(seedMs / 1000).toFixed(1)} s)` +
        ` | dashboard (${DAYS}-day range, facts + figures + per-day + charts): median ${timings[2]!.toFixed(0)} ms, worst ${timings[4]!.toFixed(0)} ms` +
        ` | one day: ${oneDayMs.toFixed(0)} ms | heap growth per run ≤ ${(heapDelta / 1048576).toFixed(1)} MiB | rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`,
    );
  } finally {
    await db.drop();
  }
}

await run('pglite');
if (!(await postgresSkipReason())) await run('postgres');
