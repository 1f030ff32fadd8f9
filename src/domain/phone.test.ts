import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseUkMobile } from './phone.js';

describe('UK mobile numbers to E.164', () => {
  const accepted: [string, string][] = [
    ['07700 900123', '+447700900123'],
    ['07700-900-123', '+447700900123'],
    ['(07700) 900123', '+447700900123'],
    ['+44 7700 900123', '+447700900123'],
    ['+44 (0) 7700 900123', '+447700900123'],
    ['0044 7700 900123', '+447700900123'],
    ['447700900123', '+447700900123'],
    [' 07700.900.123 ', '+447700900123'],
    ['07624 123456', '+447624123456'],
  ];
  for (const [input, e164] of accepted) {
    it(`accepts "${input}"`, () => assert.deepEqual(normaliseUkMobile(input), { ok: true, e164 }));
  }

  const refused: [string, RegExp][] = [
    ['', /Enter a mobile number/],
    ['   ', /Enter a mobile number/],
    ['0207 946 0000', /landline/],
    ['01632 960123', /landline/],
    ['0300 123 4567', /landline/],
    ['07700 90012', /11 digits/],
    ['07700 9001234', /11 digits/],
    ['07700 9OO123', /digits only/],
    ['+1 202 555 0123', /Only UK mobile numbers/],
    ['0033 6 12 34 56 78', /Only UK mobile numbers/],
    ['07012 345678', /070 and 076/],
    ['07612 345678', /070 and 076/],
    ['08001111', /11 digits/],
  ];
  for (const [input, problem] of refused) {
    it(`refuses "${input}" saying why`, () => {
      const result = normaliseUkMobile(input);
      assert.equal(result.ok, false);
      assert.match((result as { problem: string }).problem, problem);
    });
  }
});
