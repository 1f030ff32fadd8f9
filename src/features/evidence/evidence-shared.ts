import type { Logger } from 'pino';
import type { DataAccess } from '../../data-access.js';
import type { RetentionSchedule } from '../../domain/retention.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import { ValidationError } from '../../platform/errors.js';
import type { BlobStore } from '../../platform/storage/blob-store.js';
import type { EvidenceItemRow } from './evidence.repository.js';

/** What the evidence services are built from; each takes the part it needs. */
export interface EvidenceDeps {
  data: DataAccess;
  audit: AuditTrail;
  /** Where the masters and working copies are kept (local disk or S3 with Object Lock, issue 15). */
  blobs: BlobStore;
  schedule: RetentionSchedule;
  /** Sign the short-lived playback grants handed out after a justified view: the first signs, any verifies (ADR 0008). */
  grantKeys: readonly [Buffer, ...Buffer[]];
  log: Logger;
  now: () => Date;
  /** Called with each integrity failure (the metric and the alert page read it). */
  onIntegrityFailure?: (item: EvidenceItemRow, problem: 'mismatch' | 'missing') => void;
}

const MIN_REASON = 10;

/** A justification, rationale or reason: required, at least MIN_REASON characters, under 2,000. */
export function requireReason(value: string | undefined, field: string, what: string): string {
  const reason = (value ?? '').trim();
  if (reason.length < MIN_REASON)
    throw new ValidationError(`Give ${what} (at least ${MIN_REASON} characters)`, { [field]: `Give ${what} (at least ${MIN_REASON} characters)` });
  if (reason.length > 2000) throw new ValidationError(`Keep ${what} under 2,000 characters`, { [field]: `Keep ${what} under 2,000 characters` });
  return reason;
}
