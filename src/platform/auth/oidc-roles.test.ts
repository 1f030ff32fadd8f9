import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Role } from '../../domain/roles.js';
import { rolesFromClaims } from './oidc-roles.js';

const MAPPING: Record<string, Role[]> = {
  'RVR.Officer': ['rvr_officer'],
  'RVR.Supervisor': ['supervisor', 'rvr_officer'],
  'RVR.Admin': ['admin', 'dpo'],
  '5f2c6a1e-0000-4000-8000-000000000001': ['call_handler'],
};

const CASES: { name: string; claims: Record<string, unknown>; claim?: string; expected: Role[] }[] = [
  { name: 'one app role in a list', claims: { roles: ['RVR.Officer'] }, expected: ['rvr_officer'] },
  { name: 'a single string value', claims: { roles: 'RVR.Officer' }, expected: ['rvr_officer'] },
  { name: 'a value mapped to several roles', claims: { roles: ['RVR.Admin'] }, expected: ['admin', 'dpo'] },
  { name: 'overlapping values, deduplicated', claims: { roles: ['RVR.Officer', 'RVR.Supervisor', 'RVR.Officer'] }, expected: ['rvr_officer', 'supervisor'] },
  { name: 'unknown values ignored', claims: { roles: ['Finance.Reader', 'RVR.Officer'] }, expected: ['rvr_officer'] },
  { name: 'only unknown values', claims: { roles: ['Finance.Reader'] }, expected: [] },
  { name: 'claim missing', claims: { name: 'A User' }, expected: [] },
  { name: 'claim null', claims: { roles: null }, expected: [] },
  { name: 'empty list', claims: { roles: [] }, expected: [] },
  { name: 'non-string entries ignored', claims: { roles: [42, { value: 'RVR.Officer' }, null, 'RVR.Admin'] }, expected: ['admin', 'dpo'] },
  { name: 'a number is not a value', claims: { roles: 42 }, expected: [] },
  { name: 'matching is exact (case)', claims: { roles: ['rvr.officer'] }, expected: [] },
  { name: 'inherited names are not mapping entries', claims: { roles: ['constructor', 'toString'] }, expected: [] },
  {
    name: 'group ids from another claim',
    claim: 'groups',
    claims: { groups: ['5f2c6a1e-0000-4000-8000-000000000001'], roles: ['RVR.Admin'] },
    expected: ['call_handler'],
  },
];

describe('rolesFromClaims', () => {
  for (const { name, claims, claim = 'roles', expected } of CASES) {
    it(name, () => {
      assert.deepEqual(rolesFromClaims(claims, claim, MAPPING), expected);
    });
  }
});
