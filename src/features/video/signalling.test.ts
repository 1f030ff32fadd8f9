import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { imageType } from './call-snapshots.service.js';
import { hashToken, isWellFormedToken, newSecretToken } from './call-tokens.js';
import { asDtlsClientOffer, rembFields } from './media/werift-room.js';
import { parseClientMessage } from './signalling.js';

describe('signalling messages', () => {
  it('accepts each well-formed message type', () => {
    for (const message of [
      { type: 'join' },
      { type: 'answer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' },
      { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 } },
      { type: 'chat', text: 'hello' },
      { type: 'quick_exit' },
      { type: 'leave' },
      { type: 'end', reason: 'done' },
      { type: 'ping' },
      { type: 'media_mode', mode: 'audio_only', cause: 'chosen' },
      { type: 'media_mode', mode: 'video', cause: 'connection' },
      { type: 'photo_request' },
    ]) {
      assert.ok(parseClientMessage(JSON.stringify(message)).ok, JSON.stringify(message));
    }
  });

  it('refuses anything else with a reason, and never throws (fuzzed)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ type: 'candidate', candidate: v })),
        ),
        (raw) => {
          const parsed = parseClientMessage(raw);
          if (!parsed.ok) assert.ok(parsed.error.length > 0);
        },
      ),
      { numRuns: 2000 },
    );
    assert.equal(parseClientMessage('x'.repeat(70_000)).ok, false);
    assert.equal(parseClientMessage('{"type":"chat","text":"   "}').ok, false);
    assert.equal(parseClientMessage('{"type":"answer","sdp":"hello"}').ok, false);
  });

  it('issue 17 §3: a media mode is "video" or "audio_only", chosen or for the connection; nothing else passes', () => {
    const parsed = parseClientMessage('{"type":"media_mode","mode":"audio_only","cause":"connection","extra":1}');
    assert.deepEqual(parsed, { ok: true, message: { type: 'media_mode', mode: 'audio_only', cause: 'connection' } });
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (mode, cause) => {
        const result = parseClientMessage(JSON.stringify({ type: 'media_mode', mode, cause }));
        const valid = (mode === 'video' || mode === 'audio_only') && (cause === 'chosen' || cause === 'connection');
        assert.equal(result.ok, valid);
      }),
    );
  });
});

describe('media details', () => {
  it('REMB: mantissa × 2^exponent never exceeds the cap and loses under 0.001%', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (bitrate) => {
        const { brExp, brMantissa } = rembFields(bitrate);
        assert.ok(brMantissa < 2 ** 18 && brExp < 64);
        const value = brMantissa * 2 ** brExp;
        assert.ok(value <= bitrate && (bitrate - value) / bitrate < 1e-5);
      }),
    );
    assert.deepEqual(rembFields(1_500_000), { brExp: 3, brMantissa: 187_500 });
  });

  it('issue 17 §3: the offer names the server the DTLS client on every media section, and changes nothing else', () => {
    const offer = 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=setup:actpass\r\na=mid:0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=setup:actpass\r\na=mid:1\r\n';
    const sent = asDtlsClientOffer(offer);
    assert.equal(sent.match(/a=setup:active\r\n/g)?.length, 2);
    assert.doesNotMatch(sent, /actpass/);
    assert.equal(sent.replaceAll('a=setup:active', 'a=setup:actpass'), offer);
  });

  it('recognises snapshots by their bytes only', () => {
    assert.equal(imageType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0])), 'image/jpeg');
    assert.equal(imageType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0])), 'image/png');
    assert.equal(imageType(Buffer.from('GIF89a.........')), undefined);
    assert.equal(imageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')), undefined);
  });

  it('link tokens: 256 bits, URL-safe, distinct, and only the hash is comparable', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => newSecretToken()));
    assert.equal(tokens.size, 1000);
    for (const token of tokens) assert.ok(isWellFormedToken(token));
    const [one] = tokens;
    assert.match(hashToken(one!), /^[0-9a-f]{64}$/);
    assert.equal(isWellFormedToken(`${one!.slice(0, 42)}!`), false);
  });
});
