import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { dataAccess, services as buildServices, type Services } from '../../src/composition.js';
import { loadConfig } from '../../src/config.js';
import { ConsultationService } from '../../src/features/consultations/consultation.service.js';
import { AuditTrail } from '../../src/platform/audit/audit-trail.js';
import { ConflictError } from '../../src/platform/errors.js';
import { createTestDatabase, describeOnEachDatabase, queryRows, type TestDatabase } from '../support/databases.js';
import { allowRoundTheClock, contextFor, createUser, newCall } from '../support/test-app.js';

async function counts(db: TestDatabase) {
  const [row] = await queryRows<{ events: number; audits: number }>(
    db.database,
    sql`select (select count(*)::int from consultation_events) as events, (select count(*)::int from audit_events) as audits`,
  );
  return row!;
}

await describeOnEachDatabase('consultation transitions', (kind) => {
  let db: TestDatabase;
  let services: Services;
  let handler: Awaited<ReturnType<typeof createUser>>;
  let officerA: Awaited<ReturnType<typeof createUser>>;
  let officerB: Awaited<ReturnType<typeof createUser>>;

  before(async () => {
    db = await createTestDatabase(kind);
    services = buildServices({ config: loadConfig({ NODE_ENV: 'test' }), database: db.database });
    handler = await createUser(services, 'handler1', ['call_handler']);
    await allowRoundTheClock(services);
    officerA = await createUser(services, 'officer-a', ['rvr_officer']);
    officerB = await createUser(services, 'officer-b', ['rvr_officer']);
  });
  after(() => db.drop());

  const newQueued = async () => (await newCall(services, handler)).consultation;

  it('applies a transition with its event, timestamp and audit entry', async () => {
    const before = await counts(db);
    const queued = await newQueued();
    const accepted = await services.consultations.transition(contextFor(officerA), queued.id, 'accepted');
    assert.equal(accepted.state, 'accepted');
    assert.equal(accepted.officerId, officerA.id);
    assert.ok(accepted.acceptedAt instanceof Date);
    const detail = await services.consultations.detail(queued.id, contextFor(officerA));
    assert.deepEqual(
      detail.events.map((e) => [e.fromState, e.toState, e.actorRole]),
      [
        [null, 'triaged_eligible', 'call_handler'],
        ['triaged_eligible', 'queued', 'call_handler'],
        ['queued', 'accepted', 'rvr_officer'],
      ],
    );
    const after = await counts(db);
    assert.equal(after.events - before.events, 3);
    assert.equal(after.audits - before.audits, 3);
  });

  it('refuses an illegal transition with a reason and writes nothing', async () => {
    const queued = await newQueued();
    const before = await counts(db);
    await assert.rejects(services.consultations.transition(contextFor(handler), queued.id, 'completed'), (error: Error) => {
      assert.ok(error instanceof ConflictError);
      assert.match(error.message, /cannot move to completed/);
      return true;
    });
    await assert.rejects(services.consultations.transition(contextFor(handler), queued.id, 'accepted'), /Only rvr officer/);
    assert.deepEqual(await counts(db), before);
    assert.equal((await services.data.repos.consultations.findById(queued.id))!.state, 'queued');
  });

  it('lets exactly one of two officers accepting at once win; the other is told why', async () => {
    const queued = await newQueued();
    const results = await Promise.allSettled([
      services.consultations.transition(contextFor(officerA), queued.id, 'accepted'),
      services.consultations.transition(contextFor(officerB), queued.id, 'accepted'),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    assert.ok(lost[0]!.reason instanceof ConflictError, String(lost[0]!.reason));
    const events = await services.data.repos.consultations.listEvents(queued.id);
    assert.equal(events.filter((e) => e.toState === 'accepted').length, 1);
  });

  it('rolls the whole transition back when its audit write fails (one transaction)', async () => {
    const queued = await newQueued();
    const before = await counts(db);
    const failingAudit = new (class extends AuditTrail {
      override async record(): Promise<never> {
        throw new Error('audit store unavailable');
      }
    })();
    const service = new ConsultationService(dataAccess(db.database), failingAudit, () => new Date());
    await assert.rejects(service.transition(contextFor(officerA), queued.id, 'accepted'), /audit store unavailable/);
    const row = await services.data.repos.consultations.findById(queued.id);
    assert.equal(row!.state, 'queued');
    assert.equal(row!.officerId, null);
    assert.deepEqual(await counts(db), before);
  });

  it('answers unknown ids and unknown states clearly', async () => {
    await assert.rejects(services.consultations.transition(contextFor(officerA), '00000000-0000-0000-0000-000000000000', 'accepted'), /No consultation/);
    const queued = await newQueued();
    await assert.rejects(services.consultations.transition(contextFor(officerA), queued.id, 'teleported'), /not a consultation state/);
  });
});
