import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, it } from 'node:test';
import { describeOnEachDatabase } from '../support/databases.js';
import { Browser, buildTestApp, createUser, type TestApp } from '../support/test-app.js';

/** A local SNTP server 10 s ahead of this machine (127.0.0.1: no external network in tests). */
async function ntpServerAhead(skewMs: number) {
  const server = dgram.createSocket('udp4');
  server.on('message', (_request, from) => {
    const answer = Buffer.alloc(48);
    answer[0] = (4 << 3) | 4;
    const ms = Date.now() + skewMs;
    answer.writeUInt32BE(Math.floor(ms / 1000) + 2_208_988_800, 40);
    answer.writeUInt32BE(Math.floor(((ms % 1000) / 1000) * 2 ** 32), 44);
    server.send(answer, from.port, from.address);
  });
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  return { port: server.address().port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

await describeOnEachDatabase('clock sync on /health/ready and the admin page (EVD-05, SC-11)', (kind) => {
  let t: TestApp;
  let ntp: Awaited<ReturnType<typeof ntpServerAhead>>;
  before(async () => {
    ntp = await ntpServerAhead(10_000);
    t = await buildTestApp(kind, { env: { CLOCK_NTP_SERVER: `127.0.0.1:${ntp.port}`, CLOCK_DRIFT_WARN_MS: '1000' } });
    await createUser(t.services, 'clock-admin', ['admin']);
  });
  after(async () => {
    await t.close();
    await ntp.close();
  });

  it('EVD-05: the database server’s clock is read and agrees with ours', async () => {
    const databaseTime = await t.db.database.serverTime();
    assert.ok(Math.abs(databaseTime.getTime() - Date.now()) < 2000, `database clock ${databaseTime.toISOString()}`);
  });

  it('EVD-05, SC-11: a clock 10 s behind the configured time source is a warning on /health/ready (still ready) and on the admin page', async () => {
    const ready = await t.app.inject('/health/ready');
    assert.equal(ready.statusCode, 200, 'drift warns; it does not take the node out of service');
    assert.match(ready.json<{ checks: { clock: string } }>().checks.clock, /drifted: \d+ ms behind NTP 127\.0\.0\.1/);
    const admin = new Browser(t.app);
    await admin.signIn('clock-admin');
    const page = await admin.get('/admin');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-testid="clock-status" data-clock="drift"[^]*server clock has drifted/);
  });
});
