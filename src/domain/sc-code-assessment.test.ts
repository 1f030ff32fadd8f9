import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dpiaState } from './dpia.js';
import { assessScCode, scAnswerRows, SC_PRINCIPLES, type ScCodeFacts } from './sc-code-assessment.js';

const at = new Date('2026-12-05T10:00:00Z');
const facts = (): ScCodeFacts => ({
  assessedAt: at,
  production: true,
  consentBeforeRecording: true,
  purposeCodes: ['DA_RVR_INVESTIGATION'],
  dpia: {
    ...dpiaState({ reference: 'DPIA-1', approvedBy: 'SIRO', approvedOn: '2026-06-01', reviewDue: '2027-05-31' }, at),
    reference: 'DPIA-1',
    approvedBy: 'SIRO',
    reviewDue: '2027-05-31',
  },
  transparency: { forceName: 'Kent Police', privacyContact: 'dpo@kent.police.uk' },
  systemOwner: 'Head of Contact Management',
  policy: { version: 3, acknowledged: 10, activeUsers: 10 },
  retention: { scheduleVersion: 'v1', nonEvidentialDays: 31, disposalCron: '0 2 * * *', purgeExported: true },
  access: { evidenceView: ['investigator', 'supervisor'], evidenceDisclose: ['investigator'], reasonOnEveryView: true },
  security: { mfaRequired: true, https: true, sessionIdleMinutes: 15, sessionAbsoluteHours: 12, auditKeyFromEnvironment: true },
  audit: { lastVerification: { at: new Date('2026-12-01T00:00:00Z'), ok: true }, checkpointMinutes: 5, reviewSamplePercent: 10 },
  evidence: { integrityFailures: 0, integrityCron: '0 3 * * *', clockNtpServer: 'ntp.example', exportSink: 'S3' },
  standardsClaimed: ['NCSC Cloud Security Principles'],
  referenceMatching: false,
});
const of = (f: ScCodeFacts, principle: number) => assessScCode(f).find((a) => a.principle === principle)!;

describe('Surveillance Camera Code self-assessment (SC-10, SC-1..SC-12)', () => {
  it('SC-10: answers all 12 guiding principles, each with evidence; a fully configured deployment meets them all', () => {
    const answers = assessScCode(facts());
    assert.deepEqual(
      answers.map((a) => a.ruleId),
      SC_PRINCIPLES.map((_, i) => `SC-${i + 1}`),
    );
    for (const a of answers) {
      assert.ok(a.evidence.length > 0, `${a.ruleId} has evidence`);
      assert.equal(a.status, 'met', `${a.ruleId}: ${a.gaps.join('; ')}`);
    }
  });
  it('SC-2: an overdue DPIA review is not met, with the gap named', () => {
    const f = facts();
    f.dpia = { ...dpiaState({ reference: 'DPIA-1', approvedBy: 'SIRO', approvedOn: '2025-06-01', reviewDue: '2026-05-31' }, at), reference: 'DPIA-1' };
    assert.equal(of(f, 2).status, 'not_met');
    assert.match(of(f, 2).gaps.join(), /was due on 2026-05-31/);
  });
  it('SC-5: users who have not acknowledged the policy are a gap', () => {
    const f = facts();
    f.policy.acknowledged = 7;
    assert.equal(of(f, 5).status, 'partly');
    assert.match(of(f, 5).gaps[0]!, /3 active users/);
  });
  it('SC-6: retention longer than 31 days for non-evidential recordings is a gap', () => {
    const f = facts();
    f.retention.nonEvidentialDays = 90;
    assert.match(of(f, 6).gaps.join(), /90 days/);
  });
  it('SC-9: no MFA in production is not met; a long idle session is a gap', () => {
    const f = facts();
    f.security.mfaRequired = false;
    f.security.sessionIdleMinutes = 45;
    assert.equal(of(f, 9).status, 'not_met');
    assert.match(of(f, 9).gaps.join(), /MFA_REQUIRED.*45 min/s);
  });
  it('SC-10: a failed or stale verification of the audit chain, or no review sampling, is a gap', () => {
    const f = facts();
    f.audit.lastVerification = { at: new Date('2026-10-01T00:00:00Z'), ok: true };
    f.audit.reviewSamplePercent = 0;
    assert.match(of(f, 10).gaps.join(), /65 days ago.*REVIEW_SAMPLE_PERCENT/s);
    f.audit.lastVerification = { at, ok: false };
    assert.equal(of(f, 10).status, 'not_met');
    delete f.audit.lastVerification;
    assert.match(of(f, 10).gaps.join(), /never been verified/);
  });
  it('SC-1, SC-4: missing purpose codes and system owner are gaps until recorded', () => {
    const f = facts();
    delete f.purposeCodes;
    delete f.systemOwner;
    assert.match(of(f, 1).gaps.join(), /purpose code/);
    assert.match(of(f, 4).gaps.join(), /system owner/);
  });
  it('SC-11, SC-12: integrity failures and reference matching are not met', () => {
    const f = facts();
    f.evidence.integrityFailures = 2;
    f.referenceMatching = true;
    assert.equal(of(f, 11).status, 'not_met');
    assert.equal(of(f, 12).status, 'not_met');
  });
  it('SC-10: the export has a header row and one row per principle', () => {
    const rows = scAnswerRows(assessScCode(facts()));
    assert.equal(rows.length, 13);
    assert.deepEqual(rows[0], ['principle', 'rule', 'title', 'status', 'evidence', 'gaps']);
  });
});
