import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { carriedFields, isStepUpFresh, safeReturnPath, STEP_UP_DEFAULT_RETURN } from './step-up.js';

describe('SEC-07 step-up rules', () => {
  it('SEC-07: an elevation is fresh only within its maximum age', () => {
    const at = new Date('2026-12-05T08:00:00Z');
    assert.equal(isStepUpFresh(null, at, 5), false);
    assert.equal(isStepUpFresh(at, at, 5), true);
    assert.equal(isStepUpFresh(at, new Date(at.getTime() + 5 * 60_000), 5), true);
    assert.equal(isStepUpFresh(at, new Date(at.getTime() + 5 * 60_000 + 1), 5), false);
    assert.equal(isStepUpFresh(new Date(at.getTime() + 1000), at, 5), false, 'a step-up in the future does not count');
  });

  it('SEC-07: a return address stays on this service (no open redirect)', () => {
    for (const bad of [
      'https://evil.example/x',
      '//evil.example/x',
      '/\\evil.example',
      '\\\\evil.example',
      'javascript:alert(1)',
      '/%0d%0aLocation:x',
      '/a\nb',
      ' /x',
      '',
      'evidence',
      '/account/step-up?return=/x',
    ]) {
      const result = safeReturnPath(bad);
      assert.ok(result === STEP_UP_DEFAULT_RETURN || (result.startsWith('/') && !result.startsWith('//')), `${bad} → ${result}`);
      if (!bad.startsWith('/%0d')) assert.equal(result, STEP_UP_DEFAULT_RETURN, bad);
    }
    assert.equal(safeReturnPath('/evidence/items/abc?x=1'), '/evidence/items/abc?x=1');
    assert.equal(safeReturnPath('/a/../evidence'), '/evidence');
  });

  it('SEC-07: whatever it is given, the return address is a path on this origin (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.webPath(), fc.constantFrom('//x', '/\\x', '/%2f%2fx')), (candidate) => {
        const result = safeReturnPath(candidate);
        assert.ok(result.startsWith('/'));
        assert.ok(!result.startsWith('//'));
        assert.ok(!result.includes('\\'));
        assert.equal(new URL(result, 'http://rvr.invalid').origin, 'http://rvr.invalid');
      }),
    );
  });

  it('SEC-07: a refused form is carried without its CSRF token', () => {
    assert.deepEqual(carriedFields({ _csrf: 't', justification: 'why', recipient: 'CPS', n: 1 }), { justification: 'why', recipient: 'CPS' });
    assert.deepEqual(carriedFields(undefined), {});
  });
});
