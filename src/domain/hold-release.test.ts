import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { holdReleaseRefusal, PROFESSIONAL_STANDARDS_HOLDS } from './hold-release.js';
import { HOLD_TYPES } from './retention.js';
import { ROLES, type Role } from './roles.js';

describe('who may release a legal hold (EVD-13, SEC-11)', () => {
  const placer = 'user-placer';
  const other = 'user-other';
  for (const { type } of HOLD_TYPES) {
    const professional = PROFESSIONAL_STANDARDS_HOLDS.includes(type);
    for (const role of ROLES) {
      const roles: Role[] = [role];
      it(`${type} placed by someone else: ${role} ${professional && role !== 'professional_standards' ? 'may not' : 'may'} release it`, () => {
        const refusal = holdReleaseRefusal({ type, placedBy: placer }, { userId: other, roles });
        if (professional && role !== 'professional_standards') assert.match(refusal ?? '', /Only Professional Standards/);
        else assert.equal(refusal, undefined);
      });
    }
    it(`${type}: never by the person who placed it, whatever their roles`, () => {
      const refusal = holdReleaseRefusal({ type, placedBy: placer }, { userId: placer, roles: [...ROLES] });
      assert.match(refusal ?? '', /You placed this hold/);
    });
  }
  it('COMPLAINT, CONDUCT and DSI are the Professional Standards holds', () => {
    assert.deepEqual([...PROFESSIONAL_STANDARDS_HOLDS].sort(), ['COMPLAINT', 'CONDUCT', 'DSI']);
  });
});
