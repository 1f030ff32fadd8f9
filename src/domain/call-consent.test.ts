import assert from 'node:assert/strict';
import { it } from 'node:test';
import { consentCovers, needsOwnConsent } from './call-consent.js';

const session = { callId: 'call-1', participantId: 'victim-1' };
const given = { callId: 'call-1', participantId: 'victim-1', videoConsent: true, recordingConsent: true };

it('RVR-04/SC-3: a consent counts only for its own participant and call, and only with both agreements', () => {
  assert.equal(consentCovers(given, session), true);
  assert.equal(consentCovers(undefined, session), false, 'no consent');
  assert.equal(consentCovers({ ...given, participantId: 'interpreter-1' }, session), false, 'another participant’s consent');
  assert.equal(consentCovers({ ...given, callId: 'call-2' }, session), false, 'a consent on another call');
  assert.equal(consentCovers({ ...given, videoConsent: false }, session), false, 'video not agreed');
  assert.equal(consentCovers({ ...given, recordingConsent: false }, session), false, 'recording not agreed');
});

it('only link-holders need their own consent; staff and observers do not', () => {
  assert.deepEqual(['victim', 'interpreter', 'officer', 'observer'].map(needsOwnConsent), [true, true, false, false]);
});
