import type { Repositories } from '../../../data-access.js';
import {
  checkCorrection,
  checkSave,
  checkShare,
  checkSignature,
  checkVictimResponse,
  statementSha256,
  type StatementCheck,
} from '../../../domain/victim-statement.js';
import type { RequestContext } from '../../../platform/context.js';
import { AppError, ConflictError, ForbiddenError, ValidationError } from '../../../platform/errors.js';
import type { EvidenceRegistrationService } from '../../evidence/evidence-registration.service.js';
import { ConsentRequiredError, type LinkSession } from '../../video/call.service.js';
import { actingUserId, requireAssignedOfficer, type InvestigationDeps } from '../enquiry/enquiry.service.js';
import type { StatementCorrection, VictimStatementRow } from './statement.repository.js';

/** A save over a revision the officer did not read: refused with the saved copy, so nothing typed is lost. */
export class StaleStatementError extends ConflictError {
  constructor(
    message: string,
    readonly current: { text: string; revision: number; state: string },
  ) {
    super(message);
  }
}

export interface StatementView {
  /** 'none' before the first save; else draft | shared | correction_requested | confirmed. */
  state: string;
  text: string;
  revision: number;
  sha256: string;
  sharedAt: Date | null;
  corrections: StatementCorrection[];
  confirmedAt: Date | null;
  confirmedSha256: string | null;
  evidenceItemId: string | null;
  /** RET-19: every version shown to the victim, oldest first, word for word with its hash. */
  shownVersions: ShownVersion[];
}

export interface ShownVersion {
  revision: number;
  sha256: string;
  shownAt: Date;
  text: string;
}

function toView(row: VictimStatementRow | undefined, shownVersions: ShownVersion[] = []): StatementView {
  return {
    state: row?.state ?? 'none',
    text: row?.text ?? '',
    revision: row?.revision ?? 0,
    sha256: statementSha256(row?.text ?? ''),
    sharedAt: row?.sharedAt ?? null,
    corrections: (row?.corrections as StatementCorrection[] | undefined) ?? [],
    confirmedAt: row?.confirmedAt ?? null,
    confirmedSha256: row?.confirmedSha256 ?? null,
    evidenceItemId: row?.evidenceItemId ?? null,
    shownVersions,
  };
}

function refuseUnless(check: StatementCheck): void {
  if (check.ok) return;
  const fields = check.field ? { [check.field]: check.message } : {};
  const error = check.status === 400 ? new ValidationError(check.message, fields) : new ConflictError(check.message, fields);
  // Issue 17 §2: the victim's own refusals (reading, correcting, confirming) in their language.
  throw check.victimKey ? error.forVictim(`server.statement.${check.victimKey}`, check.values) : error;
}

/**
 * The victim's account and statement: the officer types it during the call (autosaved over a revision), shows it
 * to the victim, who asks for corrections or confirms it with their typed name. The confirmed text, its SHA-256
 * and the time are kept, and the text becomes an evidence item in the same transaction (EVD-01, EVD-02).
 */
export class VictimStatementService {
  constructor(private readonly deps: InvestigationDeps & { evidence: Pick<EvidenceRegistrationService, 'registerStatement'> }) {}

  async officerView(context: RequestContext, consultationId: string): Promise<StatementView> {
    await requireAssignedOfficer(this.deps.data.repos, context, consultationId, 'statement.view');
    const row = await this.deps.data.repos.victimStatements.findByConsultation(consultationId);
    return toView(row, await this.shownVersions(row));
  }

  private async shownVersions(row: VictimStatementRow | undefined): Promise<ShownVersion[]> {
    if (!row) return [];
    const versions = await this.deps.data.repos.victimStatements.listShownVersions(row.id);
    return versions.map((v) => ({ revision: v.revision, sha256: v.sha256, shownAt: v.shownAt, text: v.text }));
  }

  /** For readers of the investigation: its state, times and hash, not the text (that is evidence, opened with a reason). */
  async summary(consultationId: string) {
    const row = await this.deps.data.repos.victimStatements.findByConsultation(consultationId);
    const { text: _text, corrections, shownVersions, ...rest } = toView(row, await this.shownVersions(row));
    // RET-19: the versions shown, by revision, time and hash (their text is evidence too, opened with a reason).
    return { ...rest, corrections: corrections.length, shownVersions: shownVersions.map(({ text: _shown, ...version }) => version) };
  }

  /** Autosave: applies only over the revision the officer read; a stale save is a 409 with the saved copy. */
  async save(context: RequestContext, consultationId: string, input: { text: string; revision: number }): Promise<StatementView> {
    return this.officerChange(context, consultationId, 'save', async (tx, current) => {
      const check = checkSave(current, input);
      if (!check.ok && check.status === 409 && current?.state !== 'confirmed')
        throw new StaleStatementError(check.message, { text: current?.text ?? '', revision: current?.revision ?? 0, state: current?.state ?? 'none' });
      refuseUnless(check);
      const at = this.deps.now();
      const saved = current
        ? await tx.victimStatements.update(current.id, {
            text: input.text,
            revision: current.revision + 1,
            // A changed text is no longer what the victim was shown: it goes back to draft until shared again.
            state: 'draft',
            updatedBy: actingUserId(context),
            updatedAt: at,
          })
        : await tx.victimStatements.create({ consultationId, text: input.text, updatedBy: actingUserId(context), updatedAt: at });
      await this.deps.audit.record(tx.audit, context, {
        what: 'investigation.statement_saved',
        subject: `consultation:${consultationId}`,
        details: { statementId: saved.id, revision: saved.revision, length: input.text.length },
      });
      if (current && current.state !== 'draft') await this.notify(tx, saved, null);
      return saved;
    });
  }

  /** "Show to the victim": the revision on the officer's screen appears on the victim's page. */
  async share(context: RequestContext, consultationId: string, revision: number): Promise<StatementView> {
    return this.officerChange(context, consultationId, 'share', async (tx, current) => {
      refuseUnless(checkShare(current, revision));
      const at = this.deps.now();
      const shared = await tx.victimStatements.update(current!.id, { state: 'shared', sharedAt: at });
      // RET-19 (issue 16 §4): the draft shown is kept word for word, not only as a hash in the audit chain.
      const version = await tx.victimStatements.addShownVersion({
        statementId: shared.id,
        consultationId,
        revision: shared.revision,
        text: shared.text,
        sha256: statementSha256(shared.text),
        shownAt: at,
        shownBy: actingUserId(context),
      });
      await this.deps.audit.record(tx.audit, context, {
        what: 'investigation.statement_shared',
        subject: `consultation:${consultationId}`,
        details: { statementId: shared.id, revision: shared.revision, sha256: version.sha256, versionId: version.id },
      });
      await this.notify(tx, shared, null);
      return shared;
    });
  }

  /** What the victim's page shows: the shared text and nothing else about the case. */
  async victimView(session: LinkSession) {
    this.assertVictim(session);
    const row = await this.deps.data.repos.victimStatements.findByConsultation(session.call.consultationId);
    // A draft never shown is not mentioned; one shown before and now being changed says so, without the text.
    if (!row || row.state === 'draft') return { state: row?.sharedAt ? ('updating' as const) : ('none' as const) };
    const text = row.state === 'confirmed' ? row.confirmedText! : row.text;
    return {
      state: row.state as 'shared' | 'correction_requested' | 'confirmed',
      text,
      revision: row.revision,
      sha256: statementSha256(text),
      confirmedAt: row.confirmedAt,
    };
  }

  async requestCorrection(context: RequestContext, session: LinkSession, input: { revision: number; sha256?: string; correction: string }) {
    this.assertVictim(session);
    refuseUnless(checkCorrection(input.correction));
    return this.victimChange(context, session, 'correct', input, async (tx, current) => {
      const at = this.deps.now();
      const corrections = [
        ...((current.corrections as StatementCorrection[]) ?? []),
        { at: at.toISOString(), revision: current.revision, text: input.correction.trim() },
      ];
      const updated = await tx.victimStatements.update(current.id, { state: 'correction_requested', corrections });
      await this.deps.audit.record(tx.audit, context, {
        what: 'investigation.statement_correction_requested',
        subject: `consultation:${current.consultationId}`,
        details: { statementId: current.id, revision: current.revision, length: input.correction.trim().length },
      });
      return updated;
    });
  }

  /** The victim confirms the text they read, signing with their typed name; it becomes evidence in the same transaction. */
  async confirm(context: RequestContext, session: LinkSession, input: { revision: number; sha256: string; signatureName: string }) {
    this.assertVictim(session);
    refuseUnless(checkSignature(input.signatureName));
    return this.victimChange(context, session, 'confirm', input, async (tx, current) => {
      const at = this.deps.now();
      const sha256 = statementSha256(current.text);
      const item = await this.deps.evidence.registerStatement(tx, context, {
        id: current.id,
        consultationId: current.consultationId,
        callId: session.call.id,
        text: current.text,
        confirmedAt: at,
      });
      const confirmed = await tx.victimStatements.update(current.id, {
        state: 'confirmed',
        confirmedText: current.text,
        confirmedSha256: sha256,
        signatureName: input.signatureName.trim(),
        confirmedAt: at,
        evidenceItemId: item.id,
      });
      await this.deps.audit.record(tx.audit, context, {
        what: 'investigation.statement_confirmed',
        subject: `consultation:${current.consultationId}`,
        details: { statementId: current.id, revision: current.revision, sha256, evidenceItemId: item.id },
      });
      return confirmed;
    });
  }

  private assertVictim(session: LinkSession): void {
    if (session.participant.role !== 'victim')
      throw new ForbiddenError('Only the victim can read and confirm their statement here.').forVictim('server.statement.notVictim');
    // Defence in depth behind the request guard (RVR-06, SC-3): the statement is shown and confirmed only after consent.
    if (!session.consented) throw new ConsentRequiredError();
  }

  private async officerChange(
    context: RequestContext,
    consultationId: string,
    action: 'save' | 'share',
    change: (tx: Repositories, current: VictimStatementRow | undefined) => Promise<VictimStatementRow>,
  ): Promise<StatementView> {
    try {
      return toView(
        await this.deps.data.transaction(async (tx) => {
          await requireAssignedOfficer(tx, context, consultationId, `statement.${action}`);
          return change(tx, await tx.victimStatements.lockByConsultation(consultationId));
        }),
      );
    } catch (error) {
      // Changing a confirmed statement is refused and kept on record.
      if (error instanceof ConflictError && !(error instanceof StaleStatementError)) {
        const current = await this.deps.data.repos.victimStatements.findByConsultation(consultationId);
        if (current?.state === 'confirmed')
          await this.deps.data.transaction((tx) =>
            this.deps.audit.record(tx.audit, context, {
              what: 'investigation.statement_change_refused',
              subject: `consultation:${consultationId}`,
              details: { statementId: current.id, action, reason: 'confirmed' },
            }),
          );
      }
      throw error;
    }
  }

  private async victimChange(
    context: RequestContext,
    session: LinkSession,
    action: 'correct' | 'confirm',
    seen: { revision: number; sha256?: string },
    change: (tx: Repositories, current: VictimStatementRow) => Promise<VictimStatementRow>,
  ) {
    const consultationId = session.call.consultationId;
    try {
      const updated = await this.deps.data.transaction(async (tx) => {
        const current = await tx.victimStatements.lockByConsultation(consultationId);
        refuseUnless(checkVictimResponse(current, seen, action));
        const updated = await change(tx, current!);
        await this.notify(tx, updated, session.call.id);
        return updated;
      });
      return { state: updated.state, revision: updated.revision };
    } catch (error) {
      // A confirmation of a text the victim did not see last is refused, and that is on record.
      if (error instanceof AppError && error.statusCode === 409)
        await this.deps.data.transaction((tx) =>
          this.deps.audit.record(tx.audit, context, {
            what: 'investigation.statement_response_refused',
            subject: `consultation:${consultationId}`,
            details: { action, revisionSeen: seen.revision },
          }),
        );
      throw error;
    }
  }

  private async notify(tx: Repositories, row: VictimStatementRow, callId: string | null): Promise<void> {
    const call = callId ?? (await tx.calls.findOpenByConsultation(row.consultationId))?.id ?? null;
    await tx.live.notify({
      type: 'statement',
      consultationId: row.consultationId,
      callId: call,
      state: row.state,
      revision: row.revision,
      at: this.deps.now().toISOString(),
    });
  }
}
