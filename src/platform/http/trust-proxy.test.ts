import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { fastifyTrustProxy, parseTrustProxy, type TrustProxy } from './trust-proxy.js';

/** The client address Fastify settles on, for a request from `peer` carrying `forwardedFor`. */
async function clientAddress(trust: TrustProxy, peer: string, forwardedFor: string | undefined): Promise<string> {
  const app = Fastify({ trustProxy: fastifyTrustProxy(trust) });
  app.get('/', async (request) => ({ ip: request.ip }));
  try {
    const response = await app.inject({ url: '/', remoteAddress: peer, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} });
    return response.json<{ ip: string }>().ip;
  } finally {
    await app.close();
  }
}

describe('TRUST_PROXY (whose X-Forwarded-For is believed)', () => {
  it('is off unless set: nobody is believed', async () => {
    for (const raw of [undefined, '', ' ', 'false', 'off', '0']) assert.deepEqual(parseTrustProxy(raw), { value: false }, String(raw));
    assert.equal(await clientAddress(false, '127.0.0.1', '203.0.113.9'), '127.0.0.1');
  });

  it('refuses "true" (believe everyone) with a message saying what to set instead', () => {
    for (const raw of ['true', 'TRUE', 'yes', '*'])
      assert.match(parseTrustProxy(raw).problem ?? '', /would believe any client's X-Forwarded-For.*TRUST_PROXY=10\.0\.4\.0\/24/);
  });

  it('takes proxy addresses and CIDR ranges (IPv4 and IPv6) and names each one it does not understand', () => {
    assert.deepEqual(parseTrustProxy('10.0.4.7, 10.0.5.0/24,::1,fd00::/8,loopback').value, {
      addresses: ['10.0.4.7', '10.0.5.0/24', '::1', 'fd00::/8', 'loopback'],
    });
    const wrong = parseTrustProxy('10.0.4.7,proxy.internal,10.0.0.0/33,10.1.2.3/,1.2.3.4/8/9');
    assert.equal(wrong.value, false);
    assert.match(wrong.problem!, /"proxy\.internal", "10\.0\.0\.0\/33", "10\.1\.2\.3\/", "1\.2\.3\.4\/8\/9"$/);
  });

  it('with addresses: believes X-Forwarded-For only from a listed proxy, walking back through listed proxies only', async () => {
    const trust = parseTrustProxy('10.0.4.0/24').value;
    assert.equal(await clientAddress(trust, '10.0.4.7', '203.0.113.9'), '203.0.113.9');
    assert.equal(await clientAddress(trust, '198.51.100.20', '203.0.113.9'), '198.51.100.20', 'a client sending the header itself is not believed');
    // The client forged a first entry; the proxy appended the address it saw: only the proxy's entry counts.
    assert.equal(await clientAddress(trust, '10.0.4.7', '192.0.2.1, 198.51.100.20'), '198.51.100.20');
    assert.equal(await clientAddress(trust, '10.0.4.7', '192.0.2.1, 10.0.4.8'), '192.0.2.1', 'two listed proxies in a row');
  });

  it('with a hop count: believes that many hops (Fastify alone would ignore a number), from 1 to 10', async () => {
    assert.deepEqual(parseTrustProxy('2').value, { hops: 2 });
    assert.match(parseTrustProxy('11').problem!, /from 1 to 10/);
    assert.equal(await clientAddress({ hops: 1 }, '10.9.9.9', '192.0.2.1, 198.51.100.20'), '198.51.100.20');
    assert.equal(await clientAddress({ hops: 2 }, '10.9.9.9', '192.0.2.1, 198.51.100.20'), '192.0.2.1');
    assert.equal(await clientAddress({ hops: 1 }, '10.9.9.9', undefined), '10.9.9.9');
  });
});
