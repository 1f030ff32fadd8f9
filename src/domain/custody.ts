/**
 * EVD-04: a chain-of-custody entry for every custody or state change, each with the actor, the time, the reason and
 * the before/after hashes. The entries are the `evidence.*` audit events (actor and time are the event's); this pure
 * module gives each one its reason and its before/after hashes, so the item page and the export's continuity.jsonl
 * show them on every entry.
 *
 * Hashes: a master never changes once stored (EVD-02, read-only, re-hashed nightly), so an action that does not
 * create or remove it has the item's recorded SHA-256 before and after; capture has none before, disposal none
 * after. An event that recorded its own `hashBefore` / `hashAfter` (or `sha256`) keeps what it recorded.
 *
 * Stored at write time (EVD-04, issue 16 §3): the audit trail puts these fields into each `evidence.*` event's details
 * (`details.custody`) as it writes it, from the item's hash at that moment, so they are inside the event's keyed hash;
 * what is shown and exported is then the stored value. Entries written before that are worked out on read, as before,
 * and say so (`stored: false`).
 */

export type CustodyChange = 'capture' | 'unchanged' | 'removed';

interface CustodyAction {
  change: CustodyChange;
  /** The reason recorded when the event carries no justification of its own (a system step or a form with no reason field). */
  reason: string;
}

/** Every `evidence.*` audit event the code writes (a test keeps this list complete). */
export const CUSTODY_ACTIONS: Record<string, CustodyAction> = {
  'evidence.captured': { change: 'capture', reason: 'Captured during the RVR call and stored as a read-only master' },
  'evidence.copied': { change: 'unchanged', reason: 'A working copy was made from the master' },
  'evidence.working_copy_requested': { change: 'unchanged', reason: 'A working copy was requested' },
  'evidence.working_copy_failed': { change: 'unchanged', reason: 'Making a working copy failed; the master is unchanged' },
  'evidence.viewed': { change: 'unchanged', reason: 'Viewed' },
  'evidence.disclosed': { change: 'unchanged', reason: 'Disclosed (downloaded) to a named recipient' },
  'evidence.export_requested': { change: 'unchanged', reason: 'An export to the evidence store was requested' },
  'evidence.exported': { change: 'unchanged', reason: 'Exported to the evidence store, hash-verified' },
  'evidence.export_failed': { change: 'unchanged', reason: 'An export failed; the master is unchanged' },
  'evidence.export_purged': { change: 'unchanged', reason: 'The local copy was purged after a verified export (RET-23); the exported master keeps this hash' },
  'evidence.purging': { change: 'unchanged', reason: 'Purge of the local copy started after a verified export (RET-23)' },
  'evidence.purged': { change: 'removed', reason: 'The local copy was purged after a verified export (RET-23)' },
  'evidence.moved': { change: 'unchanged', reason: 'Moved to another storage location, hash checked' },
  'evidence.restricted': { change: 'unchanged', reason: 'Restricted (DPA 2018 s.47)' },
  'evidence.unrestricted': { change: 'unchanged', reason: 'Restriction lifted' },
  'evidence.hold_placed': { change: 'unchanged', reason: 'Legal hold placed' },
  'evidence.hold_released': { change: 'unchanged', reason: 'Legal hold released' },
  'evidence.hold_release_refused': { change: 'unchanged', reason: 'A hold release was refused' },
  'evidence.retention_set': { change: 'unchanged', reason: 'Retention facts recorded by records staff' },
  'evidence.retention_dated': { change: 'unchanged', reason: 'Retention dates worked out from the rules (X-03)' },
  'evidence.retention_reviewed': { change: 'unchanged', reason: 'Retention review (NRAC)' },
  'evidence.integrity_failed': { change: 'unchanged', reason: 'The nightly integrity check found a mismatch; the hash on record is kept' },
  'evidence.disposal_refused': { change: 'unchanged', reason: 'Disposal refused (a hold or an open case)' },
  'evidence.disposal_dry_run': { change: 'unchanged', reason: 'Disposal dry run: nothing removed' },
  'evidence.disposal_run': { change: 'unchanged', reason: 'Disposal run' },
  'evidence.disposing': { change: 'unchanged', reason: 'Disposal started after the retention period (first of two logged steps)' },
  'evidence.disposed': { change: 'removed', reason: 'Disposed of after the retention period' },
  'evidence.redaction_requested': { change: 'unchanged', reason: 'A redacted copy was requested (EVD-09); the master is unchanged' },
  'evidence.redacted': { change: 'unchanged', reason: 'A redacted copy was made from the master (EVD-09); the master is unchanged' },
  'evidence.redaction_failed': { change: 'unchanged', reason: 'Making a redacted copy failed; the master is unchanged' },
  'evidence.redaction_approved': { change: 'unchanged', reason: 'A redacted copy was approved for disclosure by a second person' },
  'evidence.redaction_rejected': { change: 'unchanged', reason: 'A redacted copy was rejected by a second person' },
};

export interface CustodyEvent {
  what: string;
  subject: string | null;
  justification: string | null;
  details: unknown;
}

export interface CustodyHashes {
  itemId: string;
  hashBefore: string | null;
  hashAfter: string | null;
}

export interface CustodyFields {
  reason: string;
  /** One per item the entry concerns: the item itself, or every item in scope for a consultation-level entry. */
  hashes: CustodyHashes[];
  /** True when the reason and hashes were stored on the entry when it was written (not worked out on read). */
  stored: boolean;
}

/** What the audit trail stores on an `evidence.*` event as `details.custody` when it writes it. */
export type StoredCustody = Omit<CustodyFields, 'stored'>;

/** Whether an event is a custody entry whose reason and hashes the audit trail stores at write time. */
export const isCustodyEvent = (what: string): boolean => what.startsWith('evidence.');

function storedCustodyOf(details: Record<string, unknown>): StoredCustody | undefined {
  const custody = details.custody;
  if (!custody || typeof custody !== 'object') return undefined;
  const { reason, hashes } = custody as Record<string, unknown>;
  if (typeof reason !== 'string' || !Array.isArray(hashes)) return undefined;
  const valid = hashes.every(
    (h): h is CustodyHashes =>
      !!h &&
      typeof h === 'object' &&
      typeof (h as CustodyHashes).itemId === 'string' &&
      hashOf((h as CustodyHashes).hashBefore) !== undefined &&
      hashOf((h as CustodyHashes).hashAfter) !== undefined,
  );
  return valid ? { reason, hashes } : undefined;
}

const HEX64 = /^[0-9a-f]{64}$/;
const hashOf = (value: unknown): string | null | undefined => (value === null ? null : typeof value === 'string' && HEX64.test(value) ? value : undefined);

/** EVD-04: the reason and the before/after hashes of one custody entry, for the items in scope (id and recorded SHA-256). */
export function custodyFields(event: CustodyEvent, itemsInScope: ReadonlyArray<{ id: string; sha256: string }>): CustodyFields {
  const details = event.details && typeof event.details === 'object' ? (event.details as Record<string, unknown>) : {};
  // EVD-04: what was stored when the entry was written wins (for the items in scope here: an export shows its own items).
  const stored = storedCustodyOf(details);
  if (stored) {
    const inScope = new Set(itemsInScope.map((i) => i.id));
    return { reason: stored.reason, hashes: stored.hashes.filter((h) => inScope.has(h.itemId)), stored: true };
  }
  return { ...custodyAtWrite(event, itemsInScope), stored: false };
}

/**
 * EVD-04: the reason and before/after hashes to store on an `evidence.*` entry as it is written, from the items in its
 * scope at that moment (the subject item, or every item of the subject consultation).
 */
export function custodyAtWrite(event: CustodyEvent, itemsInScope: ReadonlyArray<{ id: string; sha256: string }>): StoredCustody {
  const action = CUSTODY_ACTIONS[event.what];
  const details = event.details && typeof event.details === 'object' ? (event.details as Record<string, unknown>) : {};
  const detailReason = typeof details.reason === 'string' && details.reason.trim() ? details.reason.trim() : null;
  const reason = event.justification?.trim() || detailReason || action?.reason || 'No reason recorded';
  const subject = event.subject ?? '';
  const subjectItem = subject.startsWith('evidence:') ? subject.slice('evidence:'.length) : null;
  const items = subjectItem ? itemsInScope.filter((i) => i.id === subjectItem) : itemsInScope;
  const change = action?.change ?? 'unchanged';
  const hashes = items.map((item): CustodyHashes => {
    const recordedBefore = hashOf(details.hashBefore);
    const recordedAfter = hashOf(details.hashAfter) ?? hashOf(details.sha256);
    const hashBefore = recordedBefore !== undefined ? recordedBefore : change === 'capture' ? null : item.sha256;
    const hashAfter = recordedAfter !== undefined && change !== 'removed' ? recordedAfter : change === 'removed' ? null : item.sha256;
    return { itemId: item.id, hashBefore, hashAfter };
  });
  return { reason, hashes };
}
