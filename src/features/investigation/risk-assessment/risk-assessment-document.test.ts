import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DASH2009 } from '../../../domain/risk-forms/dash-2009.js';
import type { Answers, RiskFacts } from '../../../domain/risk-forms/risk-form.js';
import { renderRiskAssessment } from './risk-assessment-document.js';

const SETTINGS = { dashMediumFrom: 10, dashHighFrom: 14, maracEscalationIncidents: 3 };

describe('the completed form as an evidence document (DASH-02)', () => {
  it('names the form version, every question with its answer and comment, asked follow-ups, the facts, the result and the settings', () => {
    const answers: Answers = {
      4: { answer: 'yes', comment: 'Not allowed to see her sister' },
      '4a': { answer: 'not_known' },
      18: { answer: 'yes' },
      8: { answer: 'no' },
    };
    const facts: RiskFacts = { incidentAt: new Date('2026-06-15T10:00:00Z'), victimAgeBand: '16_17', priorIncidents12Months: 3, lastMaracReferralAt: null };
    const judgement = { grade: 'high' as const, referral: false, reason: 'Strangulation last week' };
    const text = renderRiskAssessment({
      form: DASH2009,
      reference: 'RVR-20260615-ABCDEF',
      version: 2,
      amendmentReason: 'More disclosed',
      completedAt: new Date('2026-06-15T11:00:00Z'),
      completedBy: 'officer1',
      answers,
      facts,
      judgement,
      score: DASH2009.score(answers, facts, SETTINGS, judgement),
    });
    assert.match(
      text,
      /^RISK ASSESSMENT: DASH 2009 risk checklist \(form version DASH2009\)\nConsultation: RVR-20260615-ABCDEF\nAssessment version: 2\nAmends the previous version because: More disclosed\n/,
    );
    assert.match(text, /Victim's age band: 16 or 17/);
    assert.match(
      text,
      /4\. Does the abuser isolate[^\n]*\n {3}Answer: Yes\n {3}Comment: Not allowed to see her sister\n {3}4 \(follow-up\)\. [^\n]*\n {6}Answer: Not known/,
    );
    assert.doesNotMatch(text, /8 \(follow-up\)/, 'a follow-up not asked is not printed');
    assert.match(text, /1\. Did this incident cause an injury\?\n {3}Answer: Not answered/);
    assert.match(text, /"Yes" answers: 2 of 27\nActuarial grade: Standard\nGrade: High \(raised by professional judgement\)/);
    assert.match(text, /MARAC referral: Yes\n {3}DASH-03\(c\): Potential escalation: 3 /);
    assert.match(text, /High-risk \(homicide\) indicators: Non-fatal strangulation \(Q18\)/);
    assert.match(text, /Routing: MARAC and children’s social care \(victim 16 or 17\)/);
    assert.match(
      text,
      /Scored with: Medium from 10 "yes", High from 14 \(DASH-04: always from 14 at most\), visible high risk from 14, escalation from 3 incidents\n$/,
    );
    assert.equal((text.match(/^\d+\. /gm) ?? []).length, 27);
  });
});
