import assert from 'node:assert/strict';
import { after, before, it, describe } from 'node:test';
import { sql } from 'drizzle-orm';
import { listenForMetrics } from '../../src/platform/metrics/metrics.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { logCollector, request } from '../support/raw-http.js';
import { Browser, buildTestApp, createUser, type TestApp, productionTestEnv } from '../support/test-app.js';

// Issue 12, item 5, the edges in production: which proxy is believed, and where /metrics is served (see edges.test.ts).

const METRICS_TOKEN = 'metrics-token-0123456789abcdef0123456789';

await describeOnDatabase('the edges in production (issue 12, item 5)', (kind) => {
  describe('production defaults: no proxy believed, no metrics for the world', () => {
    let prod: TestApp;
    const prodLogs = logCollector();
    before(async () => {
      prod = await buildTestApp(kind, { env: { ...productionTestEnv(), SIGN_IN_ATTEMPTS_PER_MINUTE: '3' }, logDestination: prodLogs.destination });
      await createUser(prod.services, 'prod-user', ['call_handler']);
    });
    after(() => prod.close());

    it('ignores X-Forwarded-For: the audit event keeps the real peer address', async () => {
      const browser = new Browser(prod.app);
      await browser.get('/sign-in');
      const signedIn = await browser.post(
        '/sign-in',
        { username: 'prod-user', password: 'correct-horse-battery-staple' },
        { headers: { 'x-forwarded-for': '203.0.113.9' } },
      );
      assert.equal(signedIn.statusCode, 303, signedIn.body);
      const [event] = await queryRows<{ client_ip: string }>(
        prod.db.database,
        sql`select client_ip from audit_events where what in ('session.password_verified', 'session.signed_in') order by seq desc limit 1`,
      );
      assert.equal(event?.client_ip, '127.0.0.1');
    });

    it('keeps the sign-in and link rate limits whatever X-Forwarded-For a client makes up', async () => {
      const browser = new Browser(prod.app);
      await browser.get('/sign-in');
      const statuses: number[] = [];
      for (let attempt = 1; attempt <= 6 && !statuses.includes(429); attempt++) {
        const response = await browser.post(
          '/sign-in',
          { username: 'prod-user', password: 'wrong password here' },
          { headers: { 'x-forwarded-for': `198.51.100.${attempt}` } },
        );
        statuses.push(response.statusCode);
      }
      assert.ok(statuses.includes(429), `a 429 within the limit plus one: ${statuses.join(', ')}`);
      const links: number[] = [];
      for (let attempt = 1; attempt <= 32 && !links.includes(429); attempt++) {
        const response = await prod.app.inject({ url: `/v/${'x'.repeat(43)}`, headers: { 'x-forwarded-for': `192.0.2.${attempt}` } });
        links.push(response.statusCode);
      }
      assert.equal(links.at(-1), 429, `the link limit (30 a minute) holds: ${links.length} tries`);
    });

    it('does not serve /metrics at all without METRICS_TOKEN or METRICS_PORT, and says so in the log', async () => {
      assert.equal((await prod.app.inject('/metrics')).statusCode, 404);
      assert.ok(prodLogs.lines.some((line) => line.includes('/metrics is off')));
    });
  });

  describe('production behind a named proxy (TRUST_PROXY), metrics on a port of their own', () => {
    let prod: TestApp;
    before(async () => {
      prod = await buildTestApp(kind, {
        env: {
          ...productionTestEnv(),
          SIGN_IN_ATTEMPTS_PER_MINUTE: '3',
          TRUST_PROXY: '127.0.0.1',
          METRICS_PORT: '0',
          METRICS_HOST: '127.0.0.1',
          METRICS_TOKEN,
        },
      });
      await createUser(prod.services, 'proxied-user', ['call_handler']);
    });
    after(() => prod.close());

    it('believes X-Forwarded-For from the proxy (audit client_ip, rate limit per client) and not from anyone else', async () => {
      const browser = new Browser(prod.app);
      await browser.get('/sign-in');
      await browser.post('/sign-in', { username: 'proxied-user', password: 'correct-horse-battery-staple' }, { headers: { 'x-forwarded-for': '203.0.113.9' } });
      const lastSignIn = async () =>
        (
          await queryRows<{ client_ip: string }>(
            prod.db.database,
            sql`select client_ip from audit_events where what in ('session.password_verified', 'session.signed_in') order by seq desc limit 1`,
          )
        )[0]?.client_ip;
      assert.equal(await lastSignIn(), '203.0.113.9');
      // The same header from a peer that is not the proxy is the client's own claim: not believed.
      const page = await prod.app.inject({ url: '/sign-in', remoteAddress: '198.51.100.77' });
      const csrfCookie = page.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
      const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const forged = await prod.app.inject({
        method: 'POST',
        url: '/sign-in',
        remoteAddress: '198.51.100.77',
        payload: new URLSearchParams({ _csrf: token, username: 'proxied-user', password: 'correct-horse-battery-staple' }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie, 'x-forwarded-for': '203.0.113.200' },
      });
      assert.equal(forged.statusCode, 303, forged.body);
      assert.equal(await lastSignIn(), '198.51.100.77');

      const attempt = (client: string) =>
        browser.post('/sign-in', { username: 'proxied-user', password: 'wrong password here' }, { headers: { 'x-forwarded-for': client } });
      const first = [await attempt('198.51.100.1'), await attempt('198.51.100.1'), await attempt('198.51.100.1')].map((r) => r.statusCode);
      assert.deepEqual(first, [401, 401, 401]);
      assert.equal((await attempt('198.51.100.1')).statusCode, 429, 'the fourth from the same client is limited');
      assert.equal((await attempt('198.51.100.2')).statusCode, 401, 'another client behind the same proxy is not');
    });

    it('serves /metrics only on its own port, and there only with the token', async () => {
      assert.equal((await prod.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).statusCode, 404);
      const address = await listenForMetrics(prod.app, prod.config.metrics);
      assert.ok(address);
      const metricsPort = Number(new URL(address).port);
      assert.notEqual(metricsPort, 0);
      assert.equal((await request(metricsPort, { path: '/metrics' })).status, 401);
      const ok = await request(metricsPort, { path: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      assert.equal(ok.status, 200);
      assert.match(ok.body, /rvr_process_cpu_seconds_total/);
      assert.equal((await request(metricsPort, { path: '/sign-in', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status, 404);
    });
  });
});
