import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLOCK_DISAGREEMENT_FLAG_MS, mediaClock, ntpToUnixMs, TrackClockRecorder } from './media-clock.js';

const NTP_UNIX_OFFSET_S = 2_208_988_800n;
/** Unix milliseconds as a 64-bit NTP timestamp, as a sender report carries it. */
const ntp = (unixMs: number) => ((BigInt(Math.floor(unixMs / 1000)) + NTP_UNIX_OFFSET_S) << 32n) + BigInt(Math.round(((unixMs % 1000) / 1000) * 2 ** 32));

const T0 = Date.UTC(2026, 11, 5, 2, 0, 0, 0);
const VIDEO_RATE = 90000;

/**
 * A sender whose camera starts at T0 (RTP timestamp `rtp0`), whose own clock is `skewMs` off, sending a report each
 * second; `delays[i]` is how late the server handled report i (network plus a busy event loop).
 */
function video(options: { rtp0: number; skewMs: number; firstPacketLateMs: number; delays: number[] }): TrackClockRecorder {
  const clock = new TrackClockRecorder('video', VIDEO_RATE);
  clock.firstPacket(options.rtp0, T0 + options.firstPacketLateMs);
  options.delays.forEach((delay, i) => {
    const at = T0 + 1000 * (i + 1);
    clock.senderReport(ntp(at + options.skewMs), (options.rtp0 + (VIDEO_RATE * (at - T0)) / 1000) >>> 0, at + delay);
  });
  return clock;
}

describe('media time from RTCP sender reports (EVD-05)', () => {
  it('reads a 64-bit NTP timestamp as Unix milliseconds', () => {
    assert.equal(ntpToUnixMs(ntp(T0 + 250)), T0 + 250);
    assert.equal(ntpToUnixMs((3_973_000_000n << 32n) + 2n ** 31n), (3_973_000_000 - 2_208_988_800) * 1000 + 500);
  });

  it('under load: the first packet handled 1.2 s late still starts the recording when the camera started', () => {
    // The event loop was busy at the start: the first packet and the first reports were handled late; later ones were not.
    const track = video({ rtp0: 1234, skewMs: 0, firstPacketLateMs: 1200, delays: [1150, 700, 4, 6, 3, 9] }).result()!;
    const clock = mediaClock([track])!;
    assert.equal(clock.source, 'sender_reports');
    assert.ok(Math.abs(Date.parse(clock.startedAt) - T0) <= 5, `started ${Date.parse(clock.startedAt) - T0} ms from the camera`);
    assert.equal(track.arrivedAt, new Date(T0 + 1200).toISOString(), 'the arrival stamp is kept as it was');
    assert.ok(Math.abs(clock.disagreementMs - 1200) <= 5);
    assert.equal(clock.flagged, true, `a disagreement over ${CLOCK_DISAGREEMENT_FLAG_MS} ms is flagged`);
  });

  it("a phone whose clock is 90 s wrong is placed on the server's clock, its own clock kept as found", () => {
    const track = video({ rtp0: 77, skewMs: -90_000, firstPacketLateMs: 40, delays: [20, 15, 30] }).result()!;
    assert.ok(Math.abs(Date.parse(track.reportedAt!) - T0) <= 20);
    assert.ok(Math.abs(Date.parse(track.senderClockAt!) - (T0 - 90_000)) <= 1);
    assert.ok(Math.abs(track.senderClockOffsetMs! - 90_015) <= 1);
    const clock = mediaClock([track])!;
    assert.equal(clock.flagged, false, 'a quiet start (40 ms) is not flagged');
  });

  it("uses only the track's first seconds of reports: a sender clock that runs slow does not push the start back", () => {
    // Its RTP clock runs 10 % slow (a starved device); the least-delayed report comes 25 s in, where counting back
    // over the slow clock would misplace the start by 2.5 s.
    const clock = new TrackClockRecorder('audio', 48000);
    clock.firstPacket(0, T0 + 40);
    for (let s = 1; s <= 30; s++) clock.senderReport(ntp(T0 + s * 1000), (48000 * s * 0.9) >>> 0, T0 + s * 1000 + (s === 25 ? 1 : 20));
    const started = Date.parse(clock.result()!.reportedAt!) - T0;
    assert.ok(started >= 0 && started <= 200, `started ${started} ms from the device (2500 with the late report)`);
  });

  it('counts RTP time across the 32-bit wrap', () => {
    const track = video({ rtp0: 2 ** 32 - 45000, skewMs: 0, firstPacketLateMs: 30, delays: [10, 10] }).result()!;
    assert.ok(Math.abs(Date.parse(track.reportedAt!) - T0) <= 10, `${Date.parse(track.reportedAt!) - T0} ms`);
  });

  it('falls back to the arrival stamp for a track with no report, and takes the earliest track', () => {
    const audio = new TrackClockRecorder('audio', 48000);
    audio.firstPacket(5000, T0 + 900);
    const audioOnly = mediaClock([audio.result()])!;
    assert.equal(audioOnly.source, 'arrival');
    assert.equal(audioOnly.startedAt, new Date(T0 + 900).toISOString());
    assert.equal(audioOnly.disagreementMs, 0);
    const both = mediaClock([audio.result(), video({ rtp0: 9, skewMs: 0, firstPacketLateMs: 950, delays: [5, 5] }).result()])!;
    assert.equal(both.source, 'sender_reports');
    assert.ok(Math.abs(Date.parse(both.startedAt) - T0) <= 5);
    assert.equal(both.tracks.length, 2);
  });

  it('has nothing to say about a recording with no packet', () => {
    assert.equal(mediaClock([new TrackClockRecorder('video', VIDEO_RATE).result()]), undefined);
  });
});
