import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { type openApiDocument } from '../../src/features/cad-api/openapi.js';
import { incidentRequest } from '../../src/features/cad-api/cad-api.schemas.js';
import { describeOnDatabase } from '../support/databases.js';
import { allowRoundTheClock, buildTestApp, callInput, cliContext, type TestApp } from '../support/test-app.js';

await describeOnDatabase('CAD integration API', (kind) => {
  let t: TestApp;
  let writeKey: string;
  let readOnlyKey: string;
  before(async () => {
    t = await buildTestApp(kind);
    await allowRoundTheClock(t.services);
    writeKey = (await t.services.apiKeys.create(cliContext, 'Test CAD', ['incidents:write', 'consultations:read'])).key;
    readOnlyKey = (await t.services.apiKeys.create(cliContext, 'Dashboard', ['consultations:read'])).key;
  });
  after(() => t.close());

  const post = (body: unknown, key = writeKey, idempotencyKey: string | null = `idem-${Math.random().toString(36).slice(2)}`) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      payload: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    });
  const apiBody = (overrides: Record<string, unknown> = {}) => {
    const { receivedAt, ...rest } = callInput();
    return { ...rest, receivedAt, grade: 2, ...overrides };
  };

  it('creates and triages an incident, queues it, and lets CAD read progress without personal data', async () => {
    const response = await post(apiBody());
    assert.equal(response.statusCode, 201, response.body);
    const created = response.json<{ consultationId: string; state: string; decision: string }>();
    assert.equal(created.decision, 'eligible');
    assert.equal(created.state, 'queued');
    const read = await t.app.inject({ url: `/api/v1/consultations/${created.consultationId}`, headers: { authorization: `Bearer ${readOnlyKey}` } });
    assert.equal(read.statusCode, 200);
    const body = read.json<{ state: string; timestamps: { queued: string | null } }>();
    assert.equal(body.state, 'queued');
    assert.ok(body.timestamps.queued);
    assert.doesNotMatch(read.body, /Test Caller|7700/);
  });

  it('replays a retried request with the same Idempotency-Key and refuses the key with a different body (409)', async () => {
    const body = apiBody();
    const first = await post(body, writeKey, 'retry-key-0001');
    const second = await post(body, writeKey, 'retry-key-0001');
    assert.equal(first.statusCode, 201);
    assert.equal(second.statusCode, 200);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.deepEqual(second.json(), first.json());
    const different = await post({ ...body, callerName: 'Changed' }, writeKey, 'retry-key-0001');
    assert.equal(different.statusCode, 409);
    assert.match(different.json<{ error: string }>().error, /different request body/);
    const concurrent = apiBody();
    const raced = await Promise.all([post(concurrent, writeKey, 'race-key-0001'), post(concurrent, writeKey, 'race-key-0001')]);
    assert.deepEqual(raced.map((r) => r.statusCode).sort(), [200, 201], 'two racing retries make one incident');
  });

  it('refuses bad input with a 4xx that names the field, and writes nothing', async () => {
    const before = (await t.services.consultations.listSummaries('all')).length;
    const cases: [unknown, number, RegExp][] = [
      [apiBody({ mobile: '0207 946 0000' }), 400, /mobile/],
      [apiBody({ grade: 9 }), 400, /grade/],
      [apiBody({ relationship: 'neighbour' }), 400, /relationship/],
      [apiBody({ receivedAt: new Date(Date.now() + 86_400_000).toISOString() }), 400, /receivedAt|future/],
      [apiBody({ consentToVideo: 'yes' }), 400, /consentToVideo/],
      [apiBody({ unexpected: 1 }), 400, /unexpected|additional/],
      ['{not json', 400, /could not be read|JSON/i],
      [{ ...apiBody(), summary: 'x'.repeat(200_000) }, 413, /too large/],
    ];
    for (const [body, status, message] of cases) {
      const response = await post(body);
      assert.equal(response.statusCode, status, `${JSON.stringify(body).slice(0, 60)} → ${response.body}`);
      assert.match(response.body, message);
    }
    const duplicate = apiBody();
    assert.equal((await post(duplicate)).statusCode, 201);
    const again = await post(duplicate);
    assert.equal(again.statusCode, 409);
    assert.match(again.body, /already has an RVR consultation/);
    assert.equal((await t.services.consultations.listSummaries('all')).length, before + 1);
    assert.equal((await post(apiBody(), writeKey, null)).statusCode, 400, 'Idempotency-Key is required');
  });

  it('refuses a missing, wrong, revoked or under-scoped key', async () => {
    assert.equal((await post(apiBody(), 'rvr_000000000000_' + 'x'.repeat(32))).statusCode, 401);
    assert.equal((await post(apiBody(), 'nonsense')).statusCode, 401);
    assert.equal((await post(apiBody(), readOnlyKey)).statusCode, 403);
    const doomed = await t.services.apiKeys.create(cliContext, 'Doomed', ['incidents:write']);
    assert.equal((await post(apiBody(), doomed.key)).statusCode, 201);
    await t.services.apiKeys.revoke(cliContext, doomed.id);
    assert.equal((await post(apiBody(), doomed.key)).statusCode, 401);
    const noCookieNeeded = await t.app.inject({
      url: '/api/v1/consultations/00000000-0000-4000-8000-000000000000',
      headers: { authorization: `Bearer ${writeKey}` },
    });
    assert.equal(noCookieNeeded.statusCode, 404);
  });

  it('publishes an OpenAPI document in step with the routes', async () => {
    const doc = (await t.app.inject('/api/docs')).json<ReturnType<typeof openApiDocument>>();
    const apiRoutes = t.app.routeCatalogue.filter((r) => r.url.startsWith('/api/v1/') && r.method !== 'HEAD');
    for (const route of apiRoutes) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      assert.ok(doc.paths[path as keyof typeof doc.paths]?.[route.method.toLowerCase() as never], `${route.method} ${path} is documented`);
    }
    assert.equal(Object.keys(doc.paths).length, apiRoutes.length);
    assert.deepEqual(doc.paths['/api/v1/incidents'].post.requestBody.content['application/json'].schema, JSON.parse(JSON.stringify(incidentRequest)));
  });
});
