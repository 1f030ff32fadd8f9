import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseUkMobile } from './phone.js';

// RVR-07: the video link is texted, so the number must be a UK mobile, stored as E.164.
describe('UK mobile numbers to E.164 (RVR-07)', () => {
  const ACCEPTED: [string, string][] = [
    // The forms call handlers are given.
    ['07700 900123', '+447700900123'],
    ['07700900123', '+447700900123'],
    ['07700-900-123', '+447700900123'],
    ['(07700) 900123', '+447700900123'],
    ['+44 7700 900123', '+447700900123'],
    ['+44 (0) 7700 900123', '+447700900123'],
    ['+44(0)7700900123', '+447700900123'],
    ['0044 7700 900123', '+447700900123'],
    ['447700900123', '+447700900123'],
    ['+447700900123', '+447700900123'],
    // Other ways people write or paste them.
    [' 07700.900.123 ', '+447700900123'],
    ['07700\u00a0900\u00a0123', '+447700900123'],
    ['07700 – 900 – 123', '+447700900123'],
    ['(+44) 7700 900123', '+447700900123'],
    ['+44 07700 900123', '+447700900123'],
    ['0044 (0) 7700 900123', '+447700900123'],
    ['4407700900123', '+447700900123'],
    // Every mobile range, 071–075 and 077–079, and the Isle of Man's 07624.
    ['07123 456789', '+447123456789'],
    ['07234 567890', '+447234567890'],
    ['07345 678901', '+447345678901'],
    ['07456 789012', '+447456789012'],
    ['07567 890123', '+447567890123'],
    ['07890 123456', '+447890123456'],
    ['07987 654321', '+447987654321'],
    ['07624 123456', '+447624123456'],
    ['+44 7624 123456', '+447624123456'],
  ];
  for (const [input, e164] of ACCEPTED) {
    it(`accepts ${JSON.stringify(input)} as ${e164}`, () => assert.deepEqual(normaliseUkMobile(input), { ok: true, e164 }));
  }

  // [input, what the problem must say]
  const REFUSED: [string, RegExp][] = [
    // Empty.
    ['', /^Enter the caller’s mobile number/],
    ['   ', /^Enter the caller’s mobile number/],
    ['()', /^Enter the caller’s mobile number/],
    ['+', /^Enter the caller’s mobile number/],
    // Landlines (01, 02, 03): it must be a mobile that can receive texts.
    ['0207 946 0000', /landline: enter a mobile number that can receive texts/],
    ['020 7946 0000', /landline/],
    ['01632 960123', /landline/],
    ['0113 496 0000', /landline/],
    ['0300 123 4567', /landline/],
    ['+44 20 7946 0000', /landline/],
    ['+44 (0) 1632 960123', /landline/],
    ['0044 1632 960123', /landline/],
    // Other numbers that are not mobiles.
    ['0800 123 4567', /not a mobile number.*can receive texts/],
    ['0845 123 4567', /not a mobile number/],
    ['0909 879 0000', /not a mobile number/],
    ['0500 123456', /not a mobile number/],
    // 070 personal numbers and 076 pagers, but not the Isle of Man's 07624.
    ['07012 345678', /070 or 076 are not mobiles/],
    ['07000 000000', /070 or 076 are not mobiles/],
    ['07612 345678', /070 or 076 are not mobiles/],
    ['07623 456789', /070 or 076 are not mobiles/],
    ['07625 123456', /070 or 076 are not mobiles/],
    ['+44 7612 345678', /070 or 076 are not mobiles/],
    // Too short or too long.
    ['07700 90012', /too short: a UK mobile has 11 digits/],
    ['077', /too short/],
    ['+44', /too short/],
    ['+44 7700 90012', /too short/],
    ['07700 9001234', /too long: a UK mobile has 11 digits/],
    ['+44 7700 9001234', /too long/],
    ['0'.repeat(41), /too long/],
    // Letters and other characters.
    ['07700 9OO123', /digits only/],
    ['not a phone', /digits only/],
    ['07700 900123 ext 4', /digits only/],
    ['07700/900123', /digits only/],
    ['07700 900123#', /digits only/],
    // A plus sign anywhere but the start.
    ['07700+900123', /plus sign can only come at the start/],
    ['++44 7700 900123', /plus sign can only come at the start/],
    // Non-UK numbers: only UK mobiles are supported for now.
    ['+1 202 555 0123', /^Only UK mobile numbers .* are supported for now/],
    ['+33 6 12 34 56 78', /Only UK mobile numbers/],
    ['0033 6 12 34 56 78', /Only UK mobile numbers/],
    ['+353 85 123 4567', /Only UK mobile numbers/],
    ['+4420 7946 0000', /landline/],
    // Digits that are not a UK number at all, or a mobile missing its 0.
    ['7700 900123', /A UK mobile number starts 07/],
    ['33612345678', /A UK mobile number starts 07/],
    ['44 1632 960123', /A UK mobile number starts 07/],
  ];
  for (const [input, problem] of REFUSED) {
    it(`refuses ${JSON.stringify(input.length > 20 ? `${input.slice(0, 20)}…` : input)}, saying why`, () => {
      const result = normaliseUkMobile(input);
      assert.equal(result.ok, false);
      const said = (result as { problem: string }).problem;
      assert.match(said, problem);
      assert.match(said, /^[A-Z]/, 'a sentence');
      assert.match(said, /mobile/, 'it names what is wanted');
    });
  }

  it('every accepted number comes out as +447 and 9 more digits', () => {
    for (const [input] of ACCEPTED) {
      const result = normaliseUkMobile(input);
      assert.ok(result.ok && /^\+447\d{9}$/.test(result.e164), input);
    }
  });

  it('is idempotent: an E.164 result normalises to itself', () => {
    for (const [, e164] of ACCEPTED) assert.deepEqual(normaliseUkMobile(e164), { ok: true, e164 });
  });
});
