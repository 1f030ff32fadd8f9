import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { DataAccess, Repositories } from '../../data-access.js';
import { ARM_LABELS, armFor, blockOf, blockSizeProblem, RANDOMISATION_ALGORITHM, seedProblem, type Arm } from '../../domain/block-randomisation.js';
import { csvLine } from '../../domain/csv.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { NOT_RANDOMISED_EVENT, type AllocationExportRow, type TrialRow } from './evaluation.repository.js';

/** The reason on the consultation's timeline when the trial sends a call to standard attendance. */
export const STANDARD_ATTENDANCE_REASON = 'Randomised to standard attendance (evaluation trial)';

/** What triage learns from the trial for one eligible, consenting call (null when no trial is running). */
export type TriageAllocation =
  | { randomised: true; trialId: string; arm: Arm; sequence: number }
  | {
      randomised: false;
      trialId: string;
      /** RVR-05: as in the Kent trial, a call is not randomised when no RVR officer is available. */
      reason: 'no_officer_available';
    };

export interface StartTrialInput {
  /** Blank: a random seed is generated (and shown, and recorded). */
  seed?: string;
  blockSize: string | number;
  note?: string;
  reason: string;
}

export interface AllocationChangeRequest {
  /** The arm asked for; absent means "allocate again". */
  arm?: string;
  reason?: string;
}

const EXPORT_COLUMNS = [
  'trial_id',
  'sequence',
  'block',
  'position_in_block',
  'arm',
  'allocated_at',
  'consultation_reference',
  'incident_grade',
  'state_reached',
  'call_received_at',
  'triaged_at',
  'queued_at',
  'accepted_at',
  'connected_at',
  'ended_at',
  'seconds_received_to_triaged',
  'seconds_received_to_queued',
  'seconds_received_to_accepted',
  'seconds_to_officer_on_video',
  'seconds_received_to_ended',
  'seconds_on_video',
  'outcome_kinds',
  'marac_referral',
  'satisfaction_rating',
] as const;

const MIN_JUSTIFICATION = 10;

/**
 * The force's own randomised evaluation (policy 2.2; market.md §1.2): eligible, consenting calls are allocated
 * to RVR or to standard attendance by block randomisation with a recorded seed and block size. Allocations are
 * written once, in the triage transaction, and never changed: every attempt is refused and audited.
 */
export class EvaluationService {
  constructor(
    private readonly data: DataAccess,
    private readonly audit: AuditTrail,
    private readonly now: () => Date,
  ) {}

  async isTrialRunning(): Promise<boolean> {
    return (await this.data.repos.evaluation.findActiveTrial()) !== undefined;
  }

  async startTrial(context: RequestContext, input: StartTrialInput): Promise<TrialRow> {
    const errors: Record<string, string> = {};
    const typedSeed = (input.seed ?? '').trim();
    const seed = typedSeed || randomBytes(16).toString('hex');
    const seedError = seedProblem(seed);
    if (seedError) errors.seed = `${seedError}, or leave it blank to generate one`;
    const blockSize = typeof input.blockSize === 'number' ? input.blockSize : /^\s*\d+\s*$/.test(input.blockSize) ? Number(input.blockSize) : Number.NaN;
    const blockSizeError = blockSizeProblem(blockSize);
    if (blockSizeError) errors.blockSize = blockSizeError;
    const note = (input.note ?? '').trim();
    if (note.length > 1000) errors.note = 'The note must be 1000 characters or fewer';
    const reason = input.reason.trim();
    if (reason.length < MIN_JUSTIFICATION) errors.reason = `Say why the trial starts (at least ${MIN_JUSTIFICATION} characters)`;
    if (Object.keys(errors).length > 0) throw new ValidationError('Check the trial settings', errors);
    return this.data.transaction(async (tx) => {
      const id = randomUUID();
      // The audit event first: every writer takes the audit chain lock before the trial's (no lock-order deadlock).
      await this.audit.record(tx.audit, context, {
        what: 'evaluation.trial_started',
        subject: `evaluation_trial:${id}`,
        justification: reason,
        // The seed's hash, not the seed: the log can later show the seed was not changed without revealing allocations to come.
        details: { blockSize, seedGenerated: !typedSeed, seedSha256: createHash('sha256').update(seed).digest('hex'), algorithm: RANDOMISATION_ALGORITHM },
      });
      await tx.evaluation.lockTrialStarts();
      const running = await tx.evaluation.findActiveTrial();
      if (running) {
        throw new ConflictError(
          `A trial is already running (started ${running.startedAt.toISOString()}). Stop it before starting another: only one trial runs at a time.`,
        );
      }
      return tx.evaluation.createTrial({ id, seed, blockSize, startedAt: this.now(), startedBy: userIdOf(context), note: note || null });
    });
  }

  async stopTrial(context: RequestContext, trialId: string, reasonInput: string): Promise<TrialRow> {
    const reason = requireJustification(reasonInput, 'reason', 'Say why the trial stops');
    return this.data.transaction(async (tx) => {
      await trialOrNotFound(tx, trialId);
      const counts = await tx.evaluation.countByArm(trialId);
      await this.audit.record(tx.audit, context, {
        what: 'evaluation.trial_stopped',
        subject: `evaluation_trial:${trialId}`,
        justification: reason,
        details: counts,
      });
      const stopped = await tx.evaluation.stopTrial(trialId, userIdOf(context), this.now());
      if (!stopped) throw new ConflictError('This trial has already been stopped.');
      return stopped;
    });
  }

  /** The admin page: the running trial (or the latest), its counts and allocation table, and earlier trials. */
  async overview() {
    const repo = this.data.repos.evaluation;
    const trials = await repo.listTrials();
    const shown = trials.find((trial) => trial.stoppedAt === null) ?? trials[0];
    if (!shown) return { trials, shown: undefined };
    const [counts, allocations, notRandomised] = await Promise.all([
      repo.countByArm(shown.id),
      repo.listAllocations(shown.id),
      repo.countNotRandomised(shown.id),
    ]);
    return {
      trials,
      shown,
      running: shown.stoppedAt === null,
      counts,
      notRandomised,
      allocations: allocations.map((a) => ({ ...a, ...blockOf(a.sequence, shown.blockSize), armLabel: ARM_LABELS[a.arm] })),
    };
  }

  /**
   * Called by triage inside its transaction, for a call just decided eligible with both consents recorded
   * (RVR-04: consent comes before randomisation, as in the Kent trial). The trial row is locked, so concurrent
   * intakes take sequence numbers one after another; the unique (trial, sequence) index backs that up.
   */
  async allocateAtTriage(tx: Repositories, context: RequestContext, consultationId: string): Promise<TriageAllocation | null> {
    const trial = await tx.evaluation.lockActiveTrial();
    if (!trial) return null;
    const triage = await tx.triages.findByConsultation(consultationId);
    const decidedEligible = triage?.decision === 'eligible' || Boolean(triage?.overriddenAt);
    if (!triage || !decidedEligible || !triage.videoConsentAt || !triage.recordingConsentAt) return null;
    if (await tx.evaluation.findAllocation(consultationId)) throw new ConflictError('This call has already been allocated in the evaluation trial.');
    const officers = await tx.availability.countByStatus(await tx.users.enabledIdsWithRole('rvr_officer'));
    if (officers.available === 0) {
      await tx.evaluation.recordNotRandomised({ consultationId, trialId: trial.id, reason: 'no_officer_available', recordedAt: this.now() });
      await this.audit.record(tx.audit, context, {
        what: NOT_RANDOMISED_EVENT,
        subject: `consultation:${consultationId}`,
        details: { trialId: trial.id, reason: 'no_officer_available' },
      });
      return { randomised: false, trialId: trial.id, reason: 'no_officer_available' };
    }
    const sequence = await tx.evaluation.nextSequence(trial.id);
    const arm = armFor(trial.seed, trial.blockSize, sequence);
    await tx.evaluation.insertAllocation({ consultationId, trialId: trial.id, sequence, arm, allocatedAt: this.now(), allocatedBy: userIdOf(context) });
    await this.audit.record(tx.audit, context, {
      what: 'evaluation.allocated',
      subject: `consultation:${consultationId}`,
      details: { trialId: trial.id, sequence, block: blockOf(sequence, trial.blockSize).block, arm },
    });
    return { randomised: true, trialId: trial.id, arm, sequence };
  }

  /** What the consultation page shows the call handler: the arm, or why the call was not randomised. */
  async forConsultation(consultationId: string): Promise<{ arm: Arm; label: string } | { notRandomised: string } | undefined> {
    const allocation = await this.data.repos.evaluation.findAllocation(consultationId);
    if (allocation) return { arm: allocation.arm as Arm, label: ARM_LABELS[allocation.arm as Arm] };
    const skipped = await this.data.repos.evaluation.notRandomisedReason(consultationId);
    return skipped ? { notRandomised: skipped.reason } : undefined;
  }

  /**
   * Allocation tampering: an allocation is never changed or made again, whoever asks. The attempt is logged
   * in its own transaction (so the refusal itself is kept) and then refused with a 409.
   */
  async requestAllocationChange(context: RequestContext, consultationId: string, request: AllocationChangeRequest): Promise<never> {
    const reason = request.reason?.trim().slice(0, 1000) || undefined;
    const kind = request.arm === undefined ? 'reallocate' : 'change_arm';
    const existing = await this.data.transaction(async (tx) => {
      const allocation = await tx.evaluation.findAllocation(consultationId);
      await this.audit.record(tx.audit, context, {
        what: 'evaluation.allocation_change_refused',
        subject: `consultation:${consultationId}`,
        justification: reason,
        details: {
          attempted: kind,
          requestedArm: request.arm === 'rvr' || request.arm === 'standard' ? request.arm : request.arm === undefined ? null : 'invalid',
          trialId: allocation?.trialId ?? null,
          arm: allocation?.arm ?? null,
        },
      });
      return allocation;
    });
    if (!existing) throw new ConflictError('This call was not randomised, and a call cannot be added to the trial afterwards. The attempt has been logged.');
    throw new ConflictError(
      `This call was randomised to ${ARM_LABELS[existing.arm as Arm]} and allocations cannot be changed or made again. The attempt has been logged.`,
    );
  }

  listTrials(): Promise<TrialRow[]> {
    return this.data.repos.evaluation.listTrials();
  }

  /**
   * One CSV row per allocated call, for analysis: pseudonymous, but about victims' cases, so each export is
   * justified and logged in the same transaction that reads the rows (DP-01).
   */
  async exportCsv(context: RequestContext, trialId: string, justificationInput: string): Promise<{ filename: string; csv: string; rows: number }> {
    const justification = requireJustification(justificationInput, 'justification', 'Say why you need the export, for example the analysis it is for');
    return this.data.transaction(async (tx) => {
      const trial = await trialOrNotFound(tx, trialId);
      const rows = await tx.evaluation.exportRows(trialId);
      await this.audit.record(tx.audit, context, {
        what: 'evaluation.exported',
        subject: `evaluation_trial:${trialId}`,
        justification,
        details: { rows: rows.length, columns: EXPORT_COLUMNS.length },
      });
      const csv = csvLine(EXPORT_COLUMNS) + rows.map((row) => csvLine(exportValues(row, trial.blockSize))).join('');
      const stamp = this.now().toISOString().replace(/[:.]/g, '-');
      return { filename: `rvr-evaluation-${trialId.slice(0, 8)}-${stamp}.csv`, csv, rows: rows.length };
    });
  }
}

function requireJustification(text: string, field: string, message: string): string {
  const trimmed = text.trim();
  if (trimmed.length < MIN_JUSTIFICATION) throw new ValidationError(message, { [field]: `${message} (at least ${MIN_JUSTIFICATION} characters)` });
  return trimmed;
}

async function trialOrNotFound(tx: Repositories, trialId: string): Promise<TrialRow> {
  const trial = await tx.evaluation.findTrial(trialId);
  if (!trial) throw new NotFoundError('No evaluation trial with that id');
  return trial;
}

function userIdOf(context: RequestContext): string | null {
  return context.actor.type === 'user' ? context.actor.userId : null;
}

const iso = (at: Date | null) => (at ? new Date(at).toISOString() : null);
const secondsBetween = (from: Date | null, to: Date | null) => (from && to ? Math.round((new Date(to).getTime() - new Date(from).getTime()) / 1000) : null);

function exportValues(row: AllocationExportRow, blockSize: number) {
  const { block, position } = blockOf(row.sequence, blockSize);
  return [
    row.trialId,
    row.sequence,
    block,
    position,
    row.arm,
    iso(row.allocatedAt),
    row.reference,
    row.grade,
    row.state,
    iso(row.receivedAt),
    iso(row.triagedAt),
    iso(row.queuedAt),
    iso(row.acceptedAt),
    iso(row.connectedAt),
    iso(row.endedAt),
    secondsBetween(row.receivedAt, row.triagedAt),
    secondsBetween(row.receivedAt, row.queuedAt),
    secondsBetween(row.receivedAt, row.acceptedAt),
    secondsBetween(row.receivedAt, row.connectedAt),
    secondsBetween(row.receivedAt, row.endedAt),
    secondsBetween(row.connectedAt, row.endedAt),
    row.outcomeKinds,
    row.maracReferral,
    row.satisfactionRating,
  ];
}
