import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import { Browser, buildTestApp, createUser, type TestApp } from '../support/test-app.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { sql } from 'drizzle-orm';

/** Issue 12 (DP-01): strangers cannot fill the audit chain by signing in as people who do not exist. */
await describeOnDatabase('failed sign-ins for unknown usernames go to the log, not the audit chain', (kind) => {
  let t: TestApp;
  const logLines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  before(async () => {
    const destination = new Writable({
      write(chunk, _encoding, done) {
        raw.push(String(chunk));
        logLines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    });
    t = await buildTestApp(kind, { logDestination: destination });
  });
  after(() => t.close());

  const auditCount = async () => Number((await queryRows<{ n: string }>(t.db.database, sql`select count(*) as n from audit_events`))[0]!.n);
  const unknownLines = () => logLines.filter((l) => l.msg === 'sign-in failed: unknown username');

  it('writes no audit event for 25 failed sign-ins as unknown people, and at most 20 log lines a minute', async () => {
    const before = await auditCount();
    for (let i = 0; i < 25; i += 1) {
      const response = await new Browser(t.app).signIn(`stranger-${i % 5}`, 'Secret-Guess-Password-42');
      assert.equal(response.statusCode, 401);
      assert.match(response.body, /Enter a correct username and password/);
    }
    assert.equal(await auditCount(), before, 'the audit chain did not grow');
    assert.deepEqual(await t.services.data.repos.audit.search({ what: 'session.sign_in_failed' }, 50), []);
    const lines = unknownLines();
    assert.equal(lines.length, 20, 'rate-limited to 20 lines a minute');
    for (const line of lines) {
      assert.equal(line.reason, 'unknown_user');
      assert.match(String(line.usernamePseudonym), /^[0-9a-f]{12}$/);
      assert.ok(line.correlationId);
    }
    // The same name gives the same pseudonym (a spray against one name shows), five names give five.
    assert.equal(new Set(lines.map((l) => l.usernamePseudonym)).size, 5);
    const everything = raw.join('');
    assert.ok(!everything.includes('stranger-'), 'no username in the log');
    assert.ok(!everything.includes('Secret-Guess-Password-42'), 'no password in the log');
  });

  it('still audits a failed sign-in for a real account, against that account', async () => {
    const user = await createUser(t.services, 'known.person', ['call_handler']);
    const before = await auditCount();
    assert.equal((await new Browser(t.app).signIn('known.person', 'not-the-right-password')).statusCode, 401);
    assert.equal(await auditCount(), before + 1);
    const [event] = await t.services.data.repos.audit.search({ what: 'session.sign_in_failed' }, 5);
    assert.equal(event?.subject, `user:${user.id}`);
    assert.deepEqual(event?.details, { reason: 'wrong_password', failuresInARow: 1 });
  });
});
