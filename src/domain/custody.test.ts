import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CUSTODY_ACTIONS, custodyAtWrite, custodyFields } from './custody.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const items = [
  { id: 'item-1', sha256: A },
  { id: 'item-2', sha256: B },
];

/** Every `evidence.*` audit event name written anywhere in src (on a line that sets `what:`). */
function evidenceEventsInSource(): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (file.endsWith('.ts') && !file.endsWith('.test.ts'))
        for (const line of readFileSync(file, 'utf8').split('\n'))
          if (/\bwhat:/.test(line)) for (const match of line.matchAll(/'(evidence\.[a-z_]+)'/g)) found.add(match[1]!);
    }
  };
  walk(path.resolve(import.meta.dirname, '..'));
  return found;
}

describe('chain of custody (EVD-04)', () => {
  it('EVD-04: every evidence.* audit event the code writes has a custody meaning (a new one cannot be forgotten)', () => {
    const events = evidenceEventsInSource();
    assert.ok(events.size >= 15, `found ${events.size}`);
    const missing = [...events].filter((what) => !(what in CUSTODY_ACTIONS));
    assert.deepEqual(missing, []);
  });

  it('EVD-04: capture has no hash before; disposal none after; every other change keeps the recorded hash before and after', () => {
    const captured = custodyFields({ what: 'evidence.captured', subject: 'evidence:item-1', justification: null, details: { sha256: A } }, items);
    assert.deepEqual(captured.hashes, [{ itemId: 'item-1', hashBefore: null, hashAfter: A }]);
    assert.match(captured.reason, /Captured/);
    const disposed = custodyFields({ what: 'evidence.disposed', subject: 'evidence:item-2', justification: null, details: { sha256: B } }, items);
    assert.deepEqual(disposed.hashes, [{ itemId: 'item-2', hashBefore: B, hashAfter: null }]);
    const viewed = custodyFields({ what: 'evidence.viewed', subject: 'evidence:item-1', justification: 'Checking the injury photo', details: {} }, items);
    assert.deepEqual(viewed, { reason: 'Checking the injury photo', hashes: [{ itemId: 'item-1', hashBefore: A, hashAfter: A }], stored: false });
  });

  it('EVD-04: a consultation-level entry (a hold) carries the hashes of every item in scope, and a reason', () => {
    const hold = custodyFields({ what: 'evidence.hold_placed', subject: 'consultation:c1', justification: null, details: { type: 'COMPLAINT' } }, items);
    assert.equal(hold.reason, 'Legal hold placed');
    assert.deepEqual(
      hold.hashes.map((h) => [h.itemId, h.hashBefore, h.hashAfter]),
      [
        ['item-1', A, A],
        ['item-2', B, B],
      ],
    );
  });

  it('EVD-04: recorded before/after hashes win; an unknown action still gets a reason and the recorded hash', () => {
    const recorded = custodyFields(
      { what: 'evidence.moved', subject: 'evidence:item-1', justification: null, details: { hashBefore: B, hashAfter: A } },
      items,
    );
    assert.deepEqual(recorded.hashes, [{ itemId: 'item-1', hashBefore: B, hashAfter: A }]);
    const unknown = custodyFields({ what: 'evidence.something_new', subject: 'evidence:item-1', justification: null, details: null }, items);
    assert.equal(unknown.reason, 'No reason recorded');
    assert.deepEqual(unknown.hashes, [{ itemId: 'item-1', hashBefore: A, hashAfter: A }]);
  });

  it('EVD-04: the reason and hashes stored on an entry when it was written are shown as stored, not worked out again', () => {
    const atWrite = custodyAtWrite({ what: 'evidence.viewed', subject: 'evidence:item-1', justification: 'Checking', details: {} }, items);
    assert.deepEqual(atWrite, { reason: 'Checking', hashes: [{ itemId: 'item-1', hashBefore: A, hashAfter: A }] });
    // Later the item's recorded hash is different (say a corrupted row): the entry still shows what was true when written.
    const later = [{ id: 'item-1', sha256: B }];
    const shown = custodyFields({ what: 'evidence.viewed', subject: 'evidence:item-1', justification: 'Checking', details: { custody: atWrite } }, later);
    assert.deepEqual(shown, { reason: 'Checking', hashes: [{ itemId: 'item-1', hashBefore: A, hashAfter: A }], stored: true });
    const workedOut = custodyFields({ what: 'evidence.viewed', subject: 'evidence:item-1', justification: 'Checking', details: {} }, later);
    assert.equal(workedOut.stored, false);
    assert.equal(workedOut.hashes[0]!.hashBefore, B);
  });

  it('EVD-04: a stored consultation-level entry shows only the items in scope (an export shows its own items)', () => {
    const hold = custodyAtWrite({ what: 'evidence.hold_placed', subject: 'consultation:c1', justification: null, details: {} }, items);
    const shown = custodyFields({ what: 'evidence.hold_placed', subject: 'consultation:c1', justification: null, details: { custody: hold } }, [items[1]!]);
    assert.deepEqual(shown.hashes, [{ itemId: 'item-2', hashBefore: B, hashAfter: B }]);
    assert.equal(shown.stored, true);
  });

  it('EVD-04: a malformed stored custody value is ignored and the entry is worked out on read', () => {
    const forged = custodyFields(
      {
        what: 'evidence.viewed',
        subject: 'evidence:item-1',
        justification: null,
        details: { custody: { reason: 'x', hashes: [{ itemId: 'item-1', hashBefore: 'nope', hashAfter: A }] } },
      },
      items,
    );
    assert.equal(forged.stored, false);
    assert.deepEqual(forged.hashes, [{ itemId: 'item-1', hashBefore: A, hashAfter: A }]);
  });
});
