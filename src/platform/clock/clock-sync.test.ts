import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { assessClock, ClockSyncChecker, offsetFrom, sntpTime } from './clock-sync.js';

const AT = new Date('2026-07-01T12:00:00Z');

/** A local SNTP server (127.0.0.1, no external network) whose clock is `skewMs` away from ours. */
async function fakeNtpServer(skewMs: number): Promise<{ port: number; close(): Promise<void> }> {
  const server = dgram.createSocket('udp4');
  server.on('message', (request, from) => {
    const answer = Buffer.alloc(48);
    answer[0] = (0 << 6) | (4 << 3) | 4; // server mode
    answer[1] = 2; // stratum
    const ms = Date.now() + skewMs;
    const seconds = Math.floor(ms / 1000) + 2_208_988_800;
    answer.writeUInt32BE(seconds, 40);
    answer.writeUInt32BE(Math.floor(((ms % 1000) / 1000) * 2 ** 32), 44);
    assert.equal(request.length, 48);
    server.send(answer, from.port, from.address);
  });
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  return { port: server.address().port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('clock sync (EVD-05, SC-11)', () => {
  it('EVD-05: the offset is taken against the midpoint of the round trip, with half the round trip as its uncertainty', () => {
    assert.deepEqual(offsetFrom(1000, 1010, 1040), { offsetMs: 10, uncertaintyMs: 20 });
    assert.deepEqual(offsetFrom(1000, 5020, 1040), { offsetMs: -4000, uncertaintyMs: 20 });
  });

  it('EVD-05: drift is a difference beyond the threshold plus the measurement’s own uncertainty; it names the source and the direction', () => {
    const ok = assessClock([{ source: 'the database server', offsetMs: 900, uncertaintyMs: 5 }], 1000, AT);
    assert.equal(ok.status, 'ok');
    const edge = assessClock([{ source: 'the database server', offsetMs: 1100, uncertaintyMs: 200 }], 1000, AT);
    assert.equal(edge.status, 'ok', 'within the uncertainty of a slow round trip');
    const drift = assessClock(
      [
        { source: 'the database server', offsetMs: 20, uncertaintyMs: 2 },
        { source: 'NTP time.example', offsetMs: -2500, uncertaintyMs: 10 },
      ],
      1000,
      AT,
    );
    assert.equal(drift.status, 'drift');
    assert.equal(drift.worstOffsetMs, -2500);
    assert.match(drift.message, /2500 ms behind NTP time\.example.*EVD-05/);
    const unknown = assessClock([{ source: 'NTP x', offsetMs: null, uncertaintyMs: null, error: 'timeout' }], 1000, AT);
    assert.equal(unknown.status, 'unknown');
  });

  describe('against a local SNTP server', () => {
    let ahead: Awaited<ReturnType<typeof fakeNtpServer>>;
    let inStep: Awaited<ReturnType<typeof fakeNtpServer>>;
    before(async () => {
      ahead = await fakeNtpServer(5000);
      inStep = await fakeNtpServer(0);
    });
    after(async () => {
      await ahead.close();
      await inStep.close();
    });

    it('SC-11: reads the server time over SNTP', async () => {
      const { sentAt, sourceTime, receivedAt } = await sntpTime('127.0.0.1', ahead.port);
      const { offsetMs } = offsetFrom(sentAt, sourceTime, receivedAt);
      assert.ok(Math.abs(offsetMs + 5000) < 200, `offset ${offsetMs}`);
    });

    it('EVD-05: warns when this server is 5 s behind the NTP source; in step with the database and an in-step source', async () => {
      const databaseTime = async () => new Date();
      const drifting = await new ClockSyncChecker({ thresholdMs: 1000, ntpServer: `127.0.0.1:${ahead.port}`, databaseTime }).check();
      assert.equal(drifting.status, 'drift');
      assert.match(drifting.message, /behind NTP 127\.0\.0\.1/);
      const fine = await new ClockSyncChecker({ thresholdMs: 1000, ntpServer: `127.0.0.1:${inStep.port}`, databaseTime }).check();
      assert.equal(fine.status, 'ok', fine.message);
      assert.equal(fine.samples.length, 2);
    });

    it('EVD-05: a database whose clock is 3 s ahead is drift too; an NTP server that does not answer is reported, not fatal', async () => {
      const checker = new ClockSyncChecker({ thresholdMs: 1000, ntpServer: '127.0.0.1:9', databaseTime: async () => new Date(Date.now() + 3000) });
      const status = await checker.check();
      assert.equal(status.status, 'drift');
      assert.match(status.message, /behind the database server/);
      assert.ok(status.samples.some((s) => s.offsetMs === null && s.error));
      assert.equal(await checker.current(), status, 'a recent result is reused');
    });
  });
});
