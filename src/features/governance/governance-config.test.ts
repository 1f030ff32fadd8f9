import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGovernanceConfig } from './governance-config.js';

describe('governance settings (SC-1, SEC-05, SC-8)', () => {
  it('SC-1 and SEC-05: defaults are one purpose (DA_RVR_INVESTIGATION) and OFFICIAL-SENSITIVE; outside production no training gate', () => {
    const { config, problems } = parseGovernanceConfig({}, { production: false });
    assert.deepEqual(problems, []);
    assert.equal(config.defaultPurpose, 'DA_RVR_INVESTIGATION');
    assert.equal(config.purposes.length, 1);
    assert.equal(config.protectiveMarking, 'OFFICIAL-SENSITIVE');
    assert.deepEqual(config.trainingRequiredCourses, []);
  });

  it('SC-8: in production the RVR officer course is required by default, and an empty list is refused', () => {
    const production = parseGovernanceConfig({}, { production: true });
    assert.deepEqual(production.problems, []);
    assert.deepEqual(
      production.config.trainingRequiredCourses.map((c) => c.code),
      ['RVR_OFFICER'],
    );
    const empty = parseGovernanceConfig({ TRAINING_REQUIRED_COURSES: '' }, { production: true });
    assert.match(empty.problems.join('\n'), /TRAINING_REQUIRED_COURSES cannot be empty in production/);
  });

  it('parses CODE=Label lists; the first purpose is the default; bad codes, missing labels, duplicates and bad markings are named', () => {
    const { config, problems } = parseGovernanceConfig(
      {
        PURPOSE_CODES: 'DA_RVR_WELFARE=Welfare; DA_RVR_INVESTIGATION=Investigation',
        TRAINING_REQUIRED_COURSES: 'RVR_OFFICER=RVR course',
        PROTECTIVE_MARKING: 'OFFICIAL',
      },
      { production: false },
    );
    assert.deepEqual(problems, []);
    assert.equal(config.defaultPurpose, 'DA_RVR_WELFARE');
    assert.equal(config.protectiveMarking, 'OFFICIAL');
    assert.deepEqual(config.trainingRequiredCourses, [{ code: 'RVR_OFFICER', label: 'RVR course' }]);
    const bad = parseGovernanceConfig(
      { PURPOSE_CODES: 'lower=x; A_B=; DUP=One; DUP=Two', PROTECTIVE_MARKING: '<script>' },
      { production: false },
    ).problems.join('\n');
    assert.match(bad, /"lower" is not a code/);
    assert.match(bad, /the code A_B needs a label/);
    assert.match(bad, /the code DUP is listed twice/);
    assert.match(bad, /PROTECTIVE_MARKING must be a marking in capitals/);
  });
});
