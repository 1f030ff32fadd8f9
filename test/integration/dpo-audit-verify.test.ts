import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { Browser, buildTestApp, createUser, type TestApp } from '../support/test-app.js';
import { describeOnDatabase } from '../support/databases.js';

/** Issue 12 (DP-01): the DPO's check holds the chain to the signed checkpoints kept outside the database. */
await describeOnDatabase('DPO page: audit verification against checkpoints', (kind) => {
  let t: TestApp;
  let dpo: Browser;
  before(async () => {
    t = await buildTestApp(kind);
    await createUser(t.services, 'dpo.checker', ['dpo']);
    dpo = new Browser(t.app);
    await dpo.signIn('dpo.checker');
  });
  after(() => t.close());

  it('warns that truncation cannot be detected before any checkpoint, then shows the checkpoints that match', async () => {
    await dpo.get('/dpo');
    const before = await dpo.post('/dpo/audit/verify', {});
    assert.equal(before.statusCode, 200);
    assert.match(before.body, /Chain intact/);
    assert.match(before.body, /No signed checkpoints found in .*audit-checkpoints.jsonl: .*deleting the newest events cannot be detected/);
    const checkpoint = await t.services.auditLog.writeCheckpoint('scheduled');
    const after = await dpo.post('/dpo/audit/verify', {});
    assert.match(after.body, /Chain intact/);
    assert.match(
      after.body,
      new RegExp(
        `Checkpoints kept outside the database: 1 of 1 match. The newest, written .*, recorded ${checkpoint.count} events up to event ${checkpoint.seq}`,
      ),
    );
  });

  it('reports the newest events deleted behind its back, naming the checkpoint', async () => {
    const checkpoint = await t.services.auditLog.writeCheckpoint('scheduled');
    await t.db.database.db.execute(sql`alter table audit_events disable trigger audit_events_append_only`);
    await t.db.database.db.execute(sql`delete from audit_events where seq > ${checkpoint.seq - 2}`);
    await t.db.database.db.execute(sql`alter table audit_events enable trigger audit_events_append_only`);
    await dpo.get('/dpo');
    const page = await dpo.post('/dpo/audit/verify', {});
    assert.equal(page.statusCode, 200);
    assert.match(page.body, new RegExp(`Chain broken at event ${checkpoint.seq}`));
    // The page view itself appended events after the gap, so the checkpoint finds its event missing.
    assert.match(
      page.body,
      new RegExp(
        `event ${checkpoint.seq} is missing: the checkpoint of .* recorded it as the newest event \\(${checkpoint.count} events\\), so events were deleted`,
      ),
    );
  });
});
