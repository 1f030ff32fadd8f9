import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { PERMISSIONS } from '../../src/domain/permissions.js';
import type { Role } from '../../src/domain/roles.js';
import { MAX_INPUT_DEPTH } from '../../src/platform/http/request-guard.js';
import type { LiveEvent } from '../../src/platform/live/live.repository.js';
import { MAX_STREAMS_PER_SESSION } from '../../src/platform/live/live.routes.js';
import { describeOnDatabase, queryRows } from '../support/databases.js';
import { logCollector, request } from '../support/raw-http.js';
import {
  allowRoundTheClock,
  Browser,
  buildTestApp,
  callInput,
  cliContext,
  contextFor,
  createUser,
  newCall,
  type TestApp,
  assignCase,
} from '../support/test-app.js';

// Issue 12, item 5: the edges of the HTTP service (proxy trust, idempotent replays, connections after a refusal,
// deeply nested input, caching of personal data, the live stream's audience and the metrics endpoint). Production's
// proxy trust and metrics port are in edges-production.test.ts.

const METRICS_TOKEN = 'metrics-token-0123456789abcdef0123456789';
const PLACEHOLDER_ID = '00000000-0000-4000-8000-000000000000';

/** Bytes the service takes for a PNG (it checks the signature; nothing here decodes the picture), `size` long. */
const pngBytes = (size = 256) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(size - 8)]);

/** A server-sent event stream over a real socket, collecting the events it carries. */
function openStream(port: number, cookie: string) {
  const events: { type: string; data: LiveEvent }[] = [];
  let ended = false;
  let raw = '';
  let response: http.IncomingMessage | undefined;
  const req = http.get({ host: '127.0.0.1', port, path: '/live/events', headers: { cookie, accept: 'text/event-stream' } });
  const opened = new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      response = res;
      res.on('end', () => (ended = true));
      res.on('close', () => (ended = true));
      let first = true;
      res.on('data', (chunk: Buffer) => {
        raw += chunk.toString();
        if (first) {
          first = false;
          resolve({ status: res.statusCode!, headers: res.headers, body: raw });
        }
        let split: number;
        while ((split = raw.indexOf('\n\n')) !== -1) {
          const block = raw.slice(0, split);
          raw = raw.slice(split + 2);
          const type = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (type && data) events.push({ type, data: JSON.parse(data) as LiveEvent });
        }
      });
    });
  });
  return {
    opened,
    events,
    get ended() {
      return ended;
    },
    close() {
      response?.destroy();
      req.destroy();
    },
  };
}

async function until(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const nested = (depth: number, kind: 'array' | 'object') =>
  kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);

await describeOnDatabase('the edges (issue 12, item 5)', (kind) => {
  let t: TestApp;
  let port: number;
  const logs = logCollector();
  let handler: Awaited<ReturnType<typeof createUser>>;
  let officer: Awaited<ReturnType<typeof createUser>>;
  const browsers: Partial<Record<Role | 'otherOfficer', Browser>> = {};
  let apiKey: string;

  before(async () => {
    t = await buildTestApp(kind, { env: { UPLOAD_MAX_MB: '1', METRICS_TOKEN }, logDestination: logs.destination });
    await allowRoundTheClock(t.services);
    handler = await createUser(t.services, 'edge-handler', ['call_handler']);
    officer = await createUser(t.services, 'edge-officer', ['rvr_officer']);
    await createUser(t.services, 'edge-officer2', ['rvr_officer']);
    for (const role of ['supervisor', 'investigator', 'evidence_manager', 'dpo', 'admin', 'professional_standards'] as const)
      await createUser(t.services, `edge-${role}`, [role]);
    const usernames: Record<Role | 'otherOfficer', string> = {
      call_handler: 'edge-handler',
      rvr_officer: 'edge-officer',
      otherOfficer: 'edge-officer2',
      supervisor: 'edge-supervisor',
      investigator: 'edge-investigator',
      evidence_manager: 'edge-evidence_manager',
      dpo: 'edge-dpo',
      admin: 'edge-admin',
      professional_standards: 'edge-professional_standards',
    };
    for (const [role, username] of Object.entries(usernames) as [Role | 'otherOfficer', string][]) {
      const browser = new Browser(t.app);
      await browser.signIn(username);
      browsers[role] = browser;
    }
    apiKey = (await t.services.apiKeys.create(cliContext, 'Edge CAD', ['incidents:write', 'consultations:read'])).key;
    port = Number(new URL(await t.app.listen({ host: '127.0.0.1', port: 0 })).port);
  });
  after(() => t.close());

  /** A consultation the officer accepted, its call open, and a victim who opened the link and gave both consents. */
  const consentedVictim = async () => {
    const { consultation } = await newCall(t.services, handler);
    await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
    const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
    await t.services.calls.links.sendInvite(contextFor(officer), call.id, { role: 'victim' });
    const token = /\/v\/([A-Za-z0-9_-]{43})/.exec(t.services.smsOutbox!.list()[0]!.body)![1]!;
    const victim = new Browser(t.app);
    await victim.get(`/v/${token}`);
    await victim.get('/v/call');
    const consent = await victim.post('/v/call/consent', { video: 'yes', recording: 'yes' });
    assert.equal(consent.statusCode, 303, consent.body);
    const page = await victim.get('/v/call');
    assert.match(page.body, /Send photos or videos/, 'the victim has consented and sees the call page');
    return { consultation, call, victim };
  };

  describe('Idempotency-Key replay', () => {
    it('answers a retry with the stored answer and does nothing else: no second row, no audit event, nothing logged as a problem', async () => {
      const body = { ...callInput(), grade: 2 };
      const post = () =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/incidents',
          payload: body,
          headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': 'edge-replay-0001' },
        });
      const first = await post();
      assert.equal(first.statusCode, 201, first.body);
      const consultations = (await t.services.consultations.listSummaries('all')).length;
      const [auditBefore] = await queryRows<{ n: number }>(t.db.database, sql`select count(*)::int as n from audit_events`);
      const logFrom = logs.lines.length;
      const replay = await post();
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(replay.statusCode, 200, replay.body);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.deepEqual(replay.json(), first.json());
      assert.equal((await t.services.consultations.listSummaries('all')).length, consultations, 'no second consultation');
      const [auditAfter] = await queryRows<{ n: number }>(t.db.database, sql`select count(*)::int as n from audit_events`);
      assert.equal(auditAfter!.n, auditBefore!.n, 'no audit event for a replay');
      assert.deepEqual(logs.warningsSince(logFrom), [], 'nothing logged at warning or error');
    });
  });

  describe('a refusal before the body is read leaves the connection usable', () => {
    it('after a 413 on a streamed upload, the next request on the kept-alive connection is answered at once, or the connection was closed', async () => {
      const { victim } = await consentedVictim();
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const tooBig = await request(port, {
          method: 'POST',
          path: '/v/call/uploads',
          agent,
          ms: 10_000,
          headers: {
            'content-type': 'application/octet-stream',
            accept: 'application/json',
            'x-csrf-token': victim.csrfToken,
            cookie: victim.cookieHeader,
            'content-length': 3_000_000,
          },
          body: pngBytes(3_000_000),
        });
        assert.equal(tooBig.status, 413, tooBig.body);
        assert.match(tooBig.body, /too big to send here/);
        const started = Date.now();
        const next = await request(port, { path: '/health/live', agent, ms: 2000 });
        assert.equal(next.status, 200);
        assert.ok(Date.now() - started < 2000);
      } finally {
        agent.destroy();
      }
    });

    it('on a raw connection: the refusal says Connection: close and the server closes, so the client never waits on a dead connection', async () => {
      const { victim } = await consentedVictim();
      const cases = [
        {
          what: 'an upload over its limit',
          head: `POST /v/call/uploads HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/octet-stream\r\nAccept: application/json\r\nX-CSRF-Token: ${victim.csrfToken}\r\nCookie: ${victim.cookieHeader}\r\nContent-Length: 3000000\r\n\r\n`,
          status: 413,
        },
        {
          what: 'a signed-out post refused before its body is read',
          head: `POST /consultations/${PLACEHOLDER_ID}/transitions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\nContent-Length: 3000000\r\n\r\n`,
          status: 401,
        },
        {
          what: 'a form over the body limit',
          head: `POST /sign-in HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3000000\r\n\r\n`,
          status: 413,
        },
      ];
      for (const { what, head, status } of cases) {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => undefined); // the server may stop reading the rest of the body: EPIPE is expected
        await new Promise((resolve) => socket.once('connect', resolve));
        let received = '';
        let closed = false;
        socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
        socket.on('close', () => (closed = true));
        socket.write(head);
        const piece = Buffer.alloc(64 * 1024, 0x41);
        for (let sent = 0; sent < 3_000_000 && !socket.destroyed && !closed; sent += piece.length) {
          if (!socket.write(piece.subarray(0, Math.min(piece.length, 3_000_000 - sent)))) await new Promise((resolve) => setTimeout(resolve, 2));
        }
        await until(() => /\r\n\r\n/.test(received), `the answer to ${what}`);
        const [statusLine, ...headerLines] = received.slice(0, received.indexOf('\r\n\r\n')).split('\r\n');
        assert.match(statusLine!, new RegExp(`^HTTP/1.1 ${status} `), what);
        const keptAlive = !headerLines.some((line) => /^connection: close$/i.test(line));
        if (keptAlive) {
          // Then the connection must still work: the next request on it is answered.
          const before = received.length;
          socket.write(`GET /health/live HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
          await until(() => received.slice(before).includes('"status":"ok"'), `a second answer on the same connection after ${what}`, 2000);
        } else {
          await until(() => closed, `the server to close the connection after ${what}`, 2000);
        }
        socket.destroy();
      }
    });
  });

  describe('deeply nested input', () => {
    const json = (url: string, payload: string, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', accept: 'application/json', ...headers } });

    it('is refused with a 400 that says why, never a 500, signed out (arrays, objects, an unknown page)', async () => {
      for (const payload of [nested(40_000, 'array'), nested(15_000, 'object'), `{"username":"x","password":${nested(5_000, 'array')}}`]) {
        for (const url of ['/sign-in', '/no-such-page']) {
          const response = await json(url, payload);
          assert.ok(response.statusCode >= 400 && response.statusCode < 500, `${url}: ${response.statusCode} ${response.body.slice(0, 100)}`);
          if (url === '/sign-in') {
            assert.equal(response.statusCode, 400);
            assert.match(response.json<{ error: string }>().error, /nested too deeply \(more than 32 levels/);
          }
        }
      }
    });

    it(`draws the line at ${MAX_INPUT_DEPTH} levels: one more is refused, as deep is let through to the route`, async () => {
      const browser = new Browser(t.app);
      await browser.get('/sign-in');
      const form = { cookie: browser.cookieHeader, 'x-csrf-token': browser.csrfToken };
      const at = await json('/sign-in', `{"username":"x","password":"y","extra":${nested(MAX_INPUT_DEPTH - 1, 'array')}}`, form);
      assert.doesNotMatch(at.body, /nested too deeply/);
      assert.equal(at.statusCode, 401, 'an ordinary failed sign-in');
      const over = await json('/sign-in', `{"username":"x","password":"y","extra":${nested(MAX_INPUT_DEPTH, 'array')}}`, form);
      assert.equal(over.statusCode, 400);
      assert.match(over.body, /nested too deeply/);
    });

    it('form bodies and query strings with deep bracketed keys are never a 500', async () => {
      const deepKey = `a${'[b]'.repeat(5_000)}`;
      const form = await t.app.inject({
        method: 'POST',
        url: '/sign-in',
        payload: `${deepKey}=1&username=x&password=y`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.ok(form.statusCode >= 400 && form.statusCode < 500, `form: ${form.statusCode}`);
      for (const url of [`/sign-in?${deepKey}=1`, `/no-such-page?${deepKey}=1`, `/sign-in?${'a=1&'.repeat(5_000)}`]) {
        const response = await t.app.inject({ url });
        assert.ok(response.statusCode < 500, `${url.slice(0, 40)}…: ${response.statusCode}`);
      }
      const signedIn = await browsers.supervisor!.get(`/supervisor/board?${deepKey}=1`);
      assert.ok(signedIn.statusCode < 500, `signed in: ${signedIn.statusCode}`);
    });

    it('is refused with a 400 when signed in and on the CAD API too', async () => {
      const { consultation } = await newCall(t.services, handler);
      const browser = browsers.rvr_officer!;
      await browser.get(`/consultations/${consultation.id}`);
      for (const payload of [nested(40_000, 'array'), `{"to":"accepted","reason":${nested(10_000, 'object')}}`]) {
        const signedIn = await json(`/consultations/${consultation.id}/transitions`, payload, {
          cookie: browser.cookieHeader,
          'x-csrf-token': browser.csrfToken,
        });
        assert.equal(signedIn.statusCode, 400, signedIn.body.slice(0, 200));
        assert.match(signedIn.body, /nested too deeply/);
        const api = await json('/api/v1/incidents', payload, {
          authorization: `Bearer ${apiKey}`,
          'idempotency-key': `edge-deep-${randomBytes(4).toString('hex')}`,
        });
        assert.equal(api.statusCode, 400, api.body.slice(0, 200));
        assert.match(api.body, /nested too deeply/);
      }
      assert.equal((await t.services.consultations.summary(consultation.id)).state, 'queued', 'nothing changed');
    });
  });

  describe('Cache-Control: no-store on everything but static files', () => {
    it('every route in the catalogue answers with no-store (pages with personal data answered 200 with real ids)', async () => {
      const { consultation, call, victim } = await consentedVictim();
      // Issue 16 §3: the investigator reads this case because a supervisor assigned it.
      await assignCase(t.services, consultation.id, 'edge-investigator');
      const snapshot = await t.services.calls.snapshots.saveSnapshot(contextFor(officer), call.id, pngBytes());
      const item = (await t.services.data.repos.evidence.listByConsultation(consultation.id)).find((i) => i.kind === 'snapshot');
      assert.ok(item, `an evidence item for the snapshot ${JSON.stringify(snapshot)}`);
      const idFor = (url: string) => {
        if (/^\/(consultations|evidence\/consultations|api\/v1\/consultations)\//.test(url)) return consultation.id;
        if (/^\/(calls|supervisor\/calls)\//.test(url)) return call.id;
        if (url.startsWith('/evidence/items/')) return item.id;
        if (url.startsWith('/admin/users/')) return officer.id;
        return PLACEHOLDER_ID;
      };
      const identityFor = (access: unknown): { headers: Record<string, string> } => {
        if (access === 'public') return { headers: {} };
        if (access === 'call_link' || access === 'call_link_before_consent') return { headers: { cookie: victim.cookieHeader } };
        if (access === 'signed_in' || access === 'second_factor') return { headers: { cookie: browsers.supervisor!.cookieHeader } };
        if (typeof access === 'object' && access && 'apiScope' in access) return { headers: { authorization: `Bearer ${apiKey}` } };
        const permission = (access as { permission: keyof typeof PERMISSIONS }).permission;
        const role = PERMISSIONS[permission][0];
        return { headers: { cookie: browsers[role]!.cookieHeader } };
      };
      const missing: string[] = [];
      const answered: Record<string, number> = {};
      const routes = t.app.routeCatalogue.filter(
        (r) => r.method === 'GET' && !/^\/(assets|stylesheets|javascripts|static)\//.test(r.url) && !r.url.endsWith('/socket') && r.url !== '/live/events',
      );
      assert.ok(routes.length > 40, `the catalogue lists the pages (${routes.length})`);
      for (const route of routes) {
        const url = route.url.replace(':id', idFor(route.url)).replace(':token', 'x'.repeat(43));
        const { headers } = identityFor(route.access);
        if (route.url === '/metrics') headers.authorization = `Bearer ${METRICS_TOKEN}`;
        for (const accept of ['text/html', 'application/json']) {
          const response = await t.app.inject({ method: 'GET', url, headers: { ...headers, accept } });
          answered[`${route.url} ${accept}`] = response.statusCode;
          if (!/\bno-store\b/.test(String(response.headers['cache-control'] ?? ''))) {
            missing.push(`${route.url} (${accept}) → ${response.statusCode}, cache-control: ${String(response.headers['cache-control'])}`);
          }
        }
      }
      assert.deepEqual(missing, [], 'responses a browser or proxy may keep');
      for (const page of [
        '/consultations/:id',
        '/consultations/:id/caller',
        '/consultations/:id/risk-assessment',
        '/calls/:id',
        '/dpo',
        '/evidence/items/:id',
        '/evidence/consultations/:id',
        '/control-room',
        '/supervisor/board',
        '/v/call',
      ]) {
        assert.equal(answered[`${page} text/html`], 200, `${page} was really shown (${answered[`${page} text/html`]})`);
      }
      // Caller details are shown in answer to a form with the reason for looking.
      const staff = browsers.call_handler!;
      await staff.get(`/consultations/${consultation.id}/caller`);
      const caller = await staff.post(`/consultations/${consultation.id}/caller`, { justification: 'Checking the callback number' });
      assert.equal(caller.statusCode, 200);
      assert.match(caller.body, /Test Caller/);
      assert.match(String(caller.headers['cache-control']), /no-store/);
      const asset = await t.app.inject('/static/js/live.js');
      assert.equal(asset.statusCode, 200);
      assert.doesNotMatch(String(asset.headers['cache-control']), /no-store/, 'static files may still be cached');
    });
  });

  describe('/live/events: each stream carries what its user needs to know, up to 5 per session', () => {
    it('call handlers and other officers hear of queue changes only; the assigned officer and supervisors of the call, alerts and statements', async () => {
      const { consultation } = await newCall(t.services, handler);
      await t.services.consultations.transition(contextFor(officer), consultation.id, 'accepted');
      const call = await t.services.calls.lifecycle.openCall(contextFor(officer), consultation.id);
      const viewers = ['call_handler', 'rvr_officer', 'otherOfficer', 'supervisor'] as const;
      const streams = Object.fromEntries(viewers.map((v) => [v, openStream(port, browsers[v]!.cookieHeader)])) as Record<
        (typeof viewers)[number],
        ReturnType<typeof openStream>
      >;
      try {
        for (const viewer of viewers) {
          const opened = await streams[viewer].opened;
          assert.equal(opened.status, 200, `${viewer}: ${opened.body}`);
          assert.match(String(opened.headers['content-type']), /text\/event-stream/);
          assert.match(String(opened.headers['cache-control']), /no-store/);
        }
        const at = new Date().toISOString();
        const sent: LiveEvent[] = [
          { type: 'consultation', id: consultation.id, state: 'accepted', at },
          { type: 'availability', userId: officer.id, status: 'on_call', at },
          { type: 'call', id: call.id, at },
          { type: 'safety_alert', alertId: PLACEHOLDER_ID, consultationId: consultation.id, callId: call.id, state: 'raised', at },
          { type: 'statement', consultationId: consultation.id, callId: call.id, state: 'shared', revision: 1, at },
        ];
        for (const event of sent) await t.services.data.repos.live.notify(event);
        const lastId = randomBytes(8).toString('hex');
        await t.services.data.repos.live.notify({ type: 'consultation', id: lastId, state: 'queued', at });
        for (const viewer of viewers) await until(() => streams[viewer].events.some((e) => 'id' in e.data && e.data.id === lastId), `${viewer}'s last event`);
        const heard = (viewer: (typeof viewers)[number]) => streams[viewer].events.filter((e) => !('id' in e.data && e.data.id === lastId)).map((e) => e.type);
        assert.deepEqual(heard('call_handler'), ['consultation', 'availability']);
        assert.deepEqual(heard('otherOfficer'), ['consultation', 'availability']);
        assert.deepEqual(heard('rvr_officer'), ['consultation', 'availability', 'call', 'safety_alert', 'statement']);
        assert.deepEqual(heard('supervisor'), ['consultation', 'availability', 'call', 'safety_alert', 'statement']);
      } finally {
        for (const stream of Object.values(streams)) stream.close();
      }
    });

    it(`refuses a ${MAX_STREAMS_PER_SESSION + 1}th stream of one session with a 429, and takes one again once a stream closes`, async () => {
      const browser = new Browser(t.app);
      await browser.signIn('edge-supervisor');
      const streams = Array.from({ length: MAX_STREAMS_PER_SESSION }, () => openStream(port, browser.cookieHeader));
      try {
        for (const stream of streams) assert.equal((await stream.opened).status, 200);
        const refused = await request(port, { path: '/live/events', headers: { cookie: browser.cookieHeader, accept: 'application/json' } });
        assert.equal(refused.status, 429);
        assert.match(refused.body, /already open in 5 tabs or windows/);
        const otherSession = openStream(port, browsers.supervisor!.cookieHeader);
        assert.equal((await otherSession.opened).status, 200, 'another session of the same person is counted apart');
        otherSession.close();
        streams.shift()!.close();
        let again: ReturnType<typeof openStream> | undefined;
        const deadline = Date.now() + 3000;
        while (!again) {
          const attempt = openStream(port, browser.cookieHeader);
          if ((await attempt.opened).status === 200) again = attempt;
          else if (Date.now() > deadline) throw new Error('a freed place was never given back');
          else await new Promise((resolve) => setTimeout(resolve, 50));
        }
        streams.push(again);
      } finally {
        for (const stream of streams) stream.close();
      }
    });

    it('follows a change of roles while the stream is open: a supervisor moved to the control room stops hearing of alerts', async () => {
      await createUser(t.services, 'edge-moved', ['supervisor']);
      const browser = new Browser(t.app);
      await browser.signIn('edge-moved');
      const stream = openStream(port, browser.cookieHeader);
      const { consultation } = await newCall(t.services, handler);
      const alert = (alertId: string): LiveEvent => ({
        type: 'safety_alert',
        alertId,
        consultationId: consultation.id,
        callId: null,
        state: 'raised',
        at: new Date().toISOString(),
      });
      const heardAlert = (alertId: string) => stream.events.some((e) => e.type === 'safety_alert' && 'alertId' in e.data && e.data.alertId === alertId);
      try {
        assert.equal((await stream.opened).status, 200);
        const before = randomBytes(4).toString('hex');
        await t.services.data.repos.live.notify(alert(before));
        await until(() => heardAlert(before), 'the alert while a supervisor');
        await t.services.userAdmin.setRoles(cliContext, 'edge-moved', ['call_handler'], 'Moved to the control room');
        await new Promise((resolve) => setTimeout(resolve, 2_100));
        const afterwards = randomBytes(4).toString('hex');
        await t.services.data.repos.live.notify(alert(afterwards));
        await t.services.data.repos.live.notify({ type: 'consultation', id: afterwards, state: 'queued', at: new Date().toISOString() });
        await until(() => stream.events.some((e) => 'id' in e.data && e.data.id === afterwards), 'the queue event after the move');
        assert.equal(heardAlert(afterwards), false, 'no safety alert for a call handler');
      } finally {
        stream.close();
      }
    });

    it('ends a stream once its session is signed out', async () => {
      const browser = new Browser(t.app);
      await browser.signIn('edge-supervisor');
      const stream = openStream(port, browser.cookieHeader);
      try {
        assert.equal((await stream.opened).status, 200);
        await browser.get('/');
        assert.equal((await browser.post('/sign-out', {})).statusCode, 303);
        await new Promise((resolve) => setTimeout(resolve, 2_100));
        await t.services.data.repos.live.notify({ type: 'consultation', id: 'after-sign-out', state: 'queued', at: new Date().toISOString() });
        await until(() => stream.ended, 'the stream to end');
        assert.ok(!stream.events.some((e) => 'id' in e.data && e.data.id === 'after-sign-out'), 'nothing sent after sign-out');
      } finally {
        stream.close();
      }
    });
  });

  describe('/metrics with METRICS_TOKEN', () => {
    it('answers 401 without the bearer token or with a wrong one, and the metrics with it', async () => {
      const none = await t.app.inject('/metrics');
      assert.equal(none.statusCode, 401);
      assert.match(String(none.headers['www-authenticate']), /^Bearer/);
      assert.doesNotMatch(none.body, /rvr_/);
      assert.equal((await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}x` } })).statusCode, 401);
      assert.equal((await t.app.inject({ url: '/metrics', headers: { authorization: METRICS_TOKEN } })).statusCode, 401);
      const ok = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      assert.equal(ok.statusCode, 200);
      assert.match(ok.body, /rvr_http_request_duration_seconds_bucket/);
    });
  });
});
