import assert from 'node:assert/strict';
import { KeyObject, randomBytes } from 'node:crypto';
import { it } from 'node:test';
import * as werift from 'werift';
import { RtpHeader, SrtcpSession, SrtpSession } from 'werift';
import * as weriftV024 from 'werift-v024';
import { cipherOf, installSrtpKeyObjects, SRTP_KEY_OBJECT_RELEASES, weriftVersion } from './srtp-key-objects.js';

/**
 * Trap 5 (beside the four werift traps of ARCHITECTURE §4; ADR 0004): werift's SRTP builds a key object for every packet. The work-around must not change a
 * single byte on the wire, and must fail loudly here when a werift upgrade changes the internals it relies on.
 */

const PROFILES = { AES_CM_128_HMAC_SHA1_80: 0x0001, AEAD_AES_128_GCM: 0x0007 } as const;
type Session = { localContext?: { cipher?: Record<string, unknown> } };

function keys() {
  return { localMasterKey: randomBytes(16), localMasterSalt: randomBytes(14), remoteMasterKey: randomBytes(16), remoteMasterSalt: randomBytes(14) };
}
/** The other end of a session: local and remote keys swapped. */
const mirror = (k: ReturnType<typeof keys>) => ({
  localMasterKey: k.remoteMasterKey,
  localMasterSalt: k.remoteMasterSalt,
  remoteMasterKey: k.localMasterKey,
  remoteMasterSalt: k.localMasterSalt,
});

/** A run of RTP packets across the sequence-number wrap (the rollover counter is in the keystream and the tag). */
const packets = Array.from({ length: 40 }, (_, i) => ({
  header: new RtpHeader({ payloadType: 96, sequenceNumber: (65_520 + i) & 0xffff, timestamp: 90 * 33 * i, ssrc: 0x1234_5678, marker: i % 5 === 0 }),
  payload: randomBytes(200 + i * 29),
}));
/** RTCP: a receiver report's header (SSRC at offset 4) and a body to encrypt. */
const rtcp = Array.from({ length: 10 }, () => Buffer.concat([Buffer.from([0x81, 201, 0, 7, 0x12, 0x34, 0x56, 0x78]), randomBytes(24)]));

/** Everything a sender puts on the wire for the fixed packets above, and what a receiver makes of it. */
function wire(k: ReturnType<typeof keys>, profile: number) {
  const rtpOut = new SrtpSession({ keys: k, profile });
  const rtcpOut = new SrtcpSession({ keys: k, profile });
  const rtpIn = new SrtpSession({ keys: mirror(k), profile });
  const rtcpIn = new SrtcpSession({ keys: mirror(k), profile });
  const srtp = packets.map((p) => rtpOut.encrypt(p.payload, p.header));
  const srtcp = rtcp.map((r) => rtcpOut.encrypt(r));
  return {
    srtp,
    srtcp,
    rtpBack: srtp.map((s) => rtpIn.decrypt(s)),
    rtcpBack: srtcp.map((s) => rtcpIn.decrypt(s)),
    cipher: (rtpOut as unknown as Session).localContext!.cipher!,
  };
}

it('trap 5: SRTP and SRTCP bytes are identical with and without the key-object work-around, for both profiles', () => {
  const version = weriftVersion('werift');
  // This test file installs the work-around itself, so these reference runs are werift's own code, untouched.
  const reference = Object.entries(PROFILES).map(([name, profile]) => {
    const proto = Object.getPrototypeOf(cipherOf(werift.SrtpSession as never, profile)) as object;
    assert.equal(Object.getOwnPropertySymbols(proto).length, 0, `${name}: the work-around must not be installed before the reference run`);
    const k = keys();
    return { name, profile, k, before: wire(k, profile) };
  });
  assert.equal(installSrtpKeyObjects(werift, version), undefined, `installs on werift ${version}`);
  for (const { name, profile, k, before } of reference) {
    const after = wire(k, profile);
    assert.ok(after.cipher.srtpSessionKey instanceof KeyObject, `${name}: the session key became a KeyObject`);
    assert.ok(!(before.cipher.srtpSessionKey instanceof KeyObject), `${name}: the reference cipher kept its raw key`);
    assert.deepEqual(after.srtp, before.srtp, `${name}: SRTP bytes identical`);
    assert.deepEqual(after.srtcp, before.srtcp, `${name}: SRTCP bytes identical`);
    // And a patched receiver still authenticates and decrypts to the original packets.
    after.rtpBack.forEach((plain, i) => assert.deepEqual(plain.subarray(plain.length - packets[i]!.payload.length), packets[i]!.payload));
    after.rtcpBack.forEach((plain, i) => assert.deepEqual(plain, rtcp[i]));
    // A tampered packet is still refused.
    const tampered = Buffer.from(after.srtp[3]!);
    tampered[tampered.length - 20]! ^= 1;
    assert.throws(() => new SrtpSession({ keys: mirror(k), profile }).decrypt(tampered), `${name}: a tampered packet is refused`);
  }
});

it('trap 5: installs on every werift release it was checked against and on the one installed, and is idempotent', () => {
  // Fails when werift is upgraded: re-check the cipher internals (ctr.ts, gcm.ts) and add the release to the list.
  assert.ok((SRTP_KEY_OBJECT_RELEASES as readonly string[]).includes(weriftVersion('werift')), `werift ${weriftVersion('werift')} is not checked`);
  assert.equal(installSrtpKeyObjects(werift, weriftVersion('werift')), undefined);
  assert.equal(installSrtpKeyObjects(werift, weriftVersion('werift')), undefined);
  assert.equal(weriftVersion('werift-v024'), '0.24.4');
  assert.equal(installSrtpKeyObjects(weriftV024, '0.24.4'), undefined);
});

it('trap 5: an unchecked werift release or changed internals are refused with a reason, nothing patched', () => {
  assert.match(installSrtpKeyObjects(werift, '9.9.9') ?? '', /not one this SRTP work-around was checked against/);
  assert.match(installSrtpKeyObjects({}, weriftVersion('werift')) ?? '', /no longer exports SrtpSession/);
  class OtherSession {
    localContext = { cipher: { srtpSessionKey: 'not a key' } };
  }
  assert.match(installSrtpKeyObjects({ SrtpSession: OtherSession }, weriftVersion('werift')) ?? '', /has no encryptRtp/);
});
