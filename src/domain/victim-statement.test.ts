import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { it } from 'node:test';
import { CHANGED_SINCE_READ, checkCorrection, checkSave, checkShare, checkSignature, checkVictimResponse, statementSha256 } from './victim-statement.js';

const text = 'He pushed me — “twice”. 😢';
const row = (state: string, revision = 3) => ({ state, revision, text });

it('the hash is SHA-256 of the exact UTF-8 text', () => {
  assert.equal(statementSha256(text), createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex'));
  assert.notEqual(statementSha256(text), statementSha256(`${text} `));
});

it('a save applies only over the revision read, never after confirmation, and within the size limit', () => {
  assert.deepEqual(checkSave(undefined, { revision: 0, text: 'a' }), { ok: true });
  assert.equal(checkSave(undefined, { revision: 1, text: 'a' }).ok, false);
  assert.deepEqual(checkSave(row('shared'), { revision: 3, text: 'a' }), { ok: true });
  const stale = checkSave(row('draft'), { revision: 2, text: 'a' });
  assert.ok(!stale.ok && stale.status === 409);
  const confirmed = checkSave(row('confirmed'), { revision: 3, text: 'a' });
  assert.ok(!confirmed.ok && confirmed.status === 409 && /confirmed/.test(confirmed.message));
  const long = checkSave(row('draft'), { revision: 3, text: 'x'.repeat(50_001) });
  assert.ok(!long.ok && long.status === 400);
});

it('sharing needs text, the current revision, and an unconfirmed statement', () => {
  assert.equal(checkShare(undefined, 0).ok, false);
  assert.equal(checkShare({ ...row('draft'), text: '  ' }, 3).ok, false);
  assert.deepEqual(checkShare(row('draft'), 3), { ok: true });
  assert.deepEqual(checkShare(row('correction_requested'), 3), { ok: true });
  assert.equal(checkShare(row('draft'), 2).ok, false);
  assert.equal(checkShare(row('confirmed'), 3).ok, false);
});

it('the victim confirms only the shared text they saw (revision and hash); corrections likewise', () => {
  const seen = { revision: 3, sha256: statementSha256(text) };
  assert.deepEqual(checkVictimResponse(row('shared'), seen, 'confirm'), { ok: true });
  assert.deepEqual(checkVictimResponse(row('shared'), seen, 'correct'), { ok: true });
  for (const [current, s] of [
    [row('shared', 4), seen],
    [row('shared'), { revision: 3, sha256: statementSha256('something else') }],
    [row('draft'), seen],
    [undefined, seen],
  ] as const) {
    const refused = checkVictimResponse(current, s, 'confirm');
    assert.ok(!refused.ok && refused.status === 409 && refused.message === CHANGED_SINCE_READ);
  }
  const pending = checkVictimResponse(row('correction_requested'), seen, 'confirm');
  assert.ok(!pending.ok && /asked for changes/.test(pending.message));
  assert.deepEqual(checkVictimResponse(row('correction_requested'), seen, 'correct'), { ok: true });
  assert.equal(checkVictimResponse(row('confirmed'), seen, 'confirm').ok, false);
});

it('a signature is a typed name; a correction is some words', () => {
  assert.deepEqual(checkSignature('Jane Doe'), { ok: true });
  assert.deepEqual(checkSignature('Zoë Ó'), { ok: true });
  for (const bad of ['', ' ', 'J', '12345', 'x'.repeat(201)]) assert.equal(checkSignature(bad).ok, false, bad);
  assert.deepEqual(checkCorrection('It was Tuesday'), { ok: true });
  assert.equal(checkCorrection('  ').ok, false);
  assert.equal(checkCorrection('x'.repeat(2001)).ok, false);
});
