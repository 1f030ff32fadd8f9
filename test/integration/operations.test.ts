import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, it } from 'node:test';
import { describeOnDatabase } from '../support/databases.js';
import { Browser, buildTestApp, createUser, newCall, type TestApp } from '../support/test-app.js';

await describeOnDatabase('health, metrics and logs', (kind) => {
  let t: TestApp;
  const logLines: string[] = [];
  before(async () => {
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    t = await buildTestApp(kind, { logDestination: destination });
  });
  after(() => t.close());

  it('reports live and ready while the database answers', async () => {
    assert.deepEqual((await t.app.inject('/health/live')).json(), { status: 'ok' });
    const ready = await t.app.inject('/health/ready');
    assert.equal(ready.statusCode, 200);
    // EVD-05, SC-11: the clock check compares this server's clock with the database server's (the same machine here).
    assert.deepEqual(ready.json(), { status: 'ok', checks: { database: 'up', clock: 'in step' } });
  });

  it('exposes Prometheus metrics labelled by route pattern, never by concrete URL', async () => {
    await t.app.inject('/consultations/11111111-1111-4111-8111-111111111111');
    const metrics = await t.app.inject('/metrics');
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.body, /rvr_http_request_duration_seconds_bucket\{[^}]*route="\/health\/ready"/);
    assert.match(metrics.body, /route="\/consultations\/:id"/);
    assert.doesNotMatch(metrics.body, /11111111-1111/);
    assert.match(metrics.body, /rvr_process_cpu_seconds_total/);
    // The runtime's version is visible to monitoring (issue 13: the platform runs on the pinned Node.js 24).
    assert.ok(metrics.body.includes(`rvr_nodejs_version_info{version="${process.version}"`), 'metrics name the Node.js version');
  });

  it('keeps names, phone numbers, addresses, passwords and query strings out of the logs', async () => {
    const user = await createUser(t.services, 'logcheck', ['call_handler']);
    await newCall(t.services, user, { callerName: 'Zelda Victimname', mobile: '07700 900555', location: '42 Secret Lane' });
    const browser = new Browser(t.app);
    await browser.get('/sign-in?phone=07700900555&name=Zelda');
    await browser.signIn('logcheck');
    await browser.signIn('logcheck', 'Wrong-Secret-Password');
    await browser.get('/control-room');
    const text = logLines.join('');
    assert.ok(text.includes('"url":"/sign-in?[redacted]"'), 'request logged, query removed');
    for (const secret of ['Zelda', '07700900555', '+447700900555', 'Secret Lane', 'Wrong-Secret-Password', 'correct-horse-battery-staple']) {
      assert.ok(!text.includes(secret), `${secret} appeared in the log`);
    }
    assert.match(text, /"reqId":"[0-9a-f-]{36}"/, 'each request line carries its correlation id');
  });

  it('reuses a well-formed correlation id from the caller and echoes it', async () => {
    const response = await t.app.inject({ url: '/health/live', headers: { 'x-correlation-id': 'cad-req-12345678' } });
    assert.equal(response.headers['x-correlation-id'], 'cad-req-12345678');
    const hostile = await t.app.inject({ url: '/health/live', headers: { 'x-correlation-id': '<script>' } });
    assert.notEqual(hostile.headers['x-correlation-id'], '<script>');
  });

  it('reports not ready (503) when the database is gone', async () => {
    await t.db.database.close();
    const ready = await t.app.inject('/health/ready');
    assert.equal(ready.statusCode, 503);
    assert.deepEqual(ready.json(), { status: 'unavailable', checks: { database: 'down' } });
  });
});
