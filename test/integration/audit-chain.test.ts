import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { dataAccess } from '../../src/composition.js';
import { AuditTrail } from '../../src/platform/audit/audit-trail.js';
import { createTestDatabase, describeOnEachDatabase, type TestDatabase } from '../support/databases.js';

const context = { actor: { type: 'system' as const, name: 'test' }, correlationId: 'corr-audit-test' };

await describeOnEachDatabase('audit chain (DP-01)', (kind) => {
  let db: TestDatabase;
  const trail = new AuditTrail();
  before(async () => {
    db = await createTestDatabase(kind);
  });
  after(() => db.drop());

  const record = (what: string, details: Record<string, unknown> = {}) => {
    const data = dataAccess(db.database);
    return data.transaction((tx) => trail.record(tx.audit, context, { what, subject: 'consultation:abc', details }));
  };

  it('chains each event to the one before it and verifies intact', async () => {
    const first = await record('test.first', { b: 2, a: [1, { z: true, y: null }] });
    const second = await record('test.second');
    assert.equal(first.prevHash, '0'.repeat(64));
    assert.equal(second.prevHash, first.hash);
    assert.deepEqual(await trail.verify(dataAccess(db.database).repos.audit), { ok: true, checked: 2 });
  });

  it('keeps one unbroken chain when many writers append at once', async () => {
    await Promise.all(Array.from({ length: 25 }, (_, i) => record('test.concurrent', { i })));
    const result = await trail.verify(dataAccess(db.database).repos.audit, { pageSize: 7 });
    assert.deepEqual(result, { ok: true, checked: 27 });
  });

  it('refuses UPDATE and DELETE on the audit table (append-only trigger)', async () => {
    // drizzle wraps the driver's error; the database's own message is the cause.
    const appendOnly = (error: Error & { cause?: Error }) => /append-only/.test(error.cause?.message ?? error.message);
    await assert.rejects(db.database.db.execute(sql`update audit_events set what = 'edited' where seq = 1`), appendOnly);
    await assert.rejects(db.database.db.execute(sql`delete from audit_events where seq = 2`), appendOnly);
  });

  it('names the first broken link when a row is edited behind the service’s back', async () => {
    // Someone with owner rights switches the trigger off and edits history.
    await db.database.db.execute(sql`alter table audit_events disable trigger audit_events_append_only`);
    await db.database.db.execute(sql`update audit_events set details = '{"i": 999}'::jsonb where seq = 5`);
    await db.database.db.execute(sql`alter table audit_events enable trigger audit_events_append_only`);
    const result = await trail.verify(dataAccess(db.database).repos.audit);
    assert.equal(result.ok, false);
    assert.equal((result as { brokenAt: number }).brokenAt, 5);
    assert.equal(result.checked, 4);
    assert.match((result as { reason: string }).reason, /changed after it was written: its content no longer matches its keyed hash/);
  });
});
