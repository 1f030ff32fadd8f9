import path from 'node:path';
import { londonDay } from '../../domain/outcome-measures.js';
import type { DataAccess } from '../../data-access.js';
import { normaliseUkMobile } from '../../domain/phone.js';
import {
  clockStatus,
  daysBetween,
  extensionProblem,
  isCalendarDate,
  type CalendarDate,
  type ClockFacts,
  type ClockStart,
  type ClockStatus,
} from '../../domain/subject-request-clock.js';
import { parseThirdPartyTerms, redactDeep } from '../../domain/third-party-redaction.js';
import type { AuditTrail } from '../../platform/audit/audit-trail.js';
import type { RequestContext } from '../../platform/context.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { stagedFile, stagingFolder, writeHashed, writeSmall, type PackageFile } from '../../platform/evidence-sink/export-package.js';
import type { BlobStore } from '../../platform/storage/blob-store.js';
import { requireReason } from '../evidence/evidence-shared.js';
import { PERSONAL_DATA_INVENTORY } from './personal-data-inventory.js';
import {
  RECTIFIABLE_FIELDS,
  type ProcessingRestrictionRow,
  type RectifiableField,
  type RectificationRow,
  type SubjectRequestRow,
} from './subject-requests.repository.js';

export const REQUEST_KINDS = {
  access: 'Access (s.45)',
  rectification: 'Rectification (s.46)',
  erasure: 'Erasure (s.47)',
  restriction: 'Restriction (s.47)',
} as const;
export type RequestKind = keyof typeof REQUEST_KINDS;

/** DP-08: the grounds of s.45(4) on which the right of access may be restricted. */
export const ACCESS_RESTRICTION_GROUNDS = {
  investigation: 'avoid obstructing an official or legal inquiry, investigation or procedure (s.45(4)(a))',
  prosecution: 'avoid prejudicing the prevention, detection, investigation or prosecution of offences (s.45(4)(b))',
  public_security: 'protect public security (s.45(4)(c))',
  national_security: 'protect national security (s.45(4)(d))',
  rights_of_others: 'protect the rights and freedoms of others (s.45(4)(e))',
} as const;
export type AccessRestrictionGround = keyof typeof ACCESS_RESTRICTION_GROUNDS;

export const DECISIONS = { granted: 'Granted', partly_granted: 'Partly granted', refused: 'Refused' } as const;
export type Decision = keyof typeof DECISIONS;

export const SUBJECT_PACK_FORMAT = 'rvr-subject-access-pack';

/** DP-06: the information that goes with every copy of a subject's data (s.45(2)). */
export const ACCESS_INFORMATION = {
  purposes:
    'The prevention, investigation, detection and prosecution of criminal offences and safeguarding (law enforcement purposes, DPA 2018 Part 3): the Rapid Video Response to your call about domestic abuse.',
  legalBasis: 'DPA 2018 s.35(2)(b): processing necessary for a task carried out for law enforcement purposes by a competent authority.',
  recipientsNote:
    'Police officers and staff with a need to know; the Crown Prosecution Service and courts where a case is taken forward; the force’s evidence system. No transfer outside the United Kingdom.',
  retention:
    'Kept under the force’s retention schedule (Management of Police Information and the CPIA 1996 rules); each item’s review and disposal dates are listed with it.',
  rights:
    'You may ask for inaccurate data to be corrected (s.46), and for data to be erased or its processing restricted (s.47). You may complain to the Information Commissioner and apply to a court (s.167).',
  ico: 'Information Commissioner’s Office, Wycliffe House, Water Lane, Wilmslow, Cheshire SK9 5AF; telephone 0303 123 1113; ico.org.uk',
  source: 'You, when you called the police and during the video call; the call handler and the officer who dealt with your call.',
} as const;

/** DP-11: the notice of decision, in writing (s.48). */
export function noticeText(row: SubjectRequestRow, forceName: string): string {
  if (!row.decision) return '';
  const kind = REQUEST_KINDS[row.kind as RequestKind] ?? row.kind;
  const lines = [
    `${forceName}: your request ${row.reference} (${kind}), received ${row.receivedOn}.`,
    `Our decision: ${DECISIONS[row.decision as Decision] ?? row.decision}.`,
  ];
  if (row.decision !== 'granted' && row.decisionReason) lines.push(`Our reasons: ${row.decisionReason}`);
  lines.push(ACCESS_INFORMATION.rights, `The Information Commissioner: ${ACCESS_INFORMATION.ico}.`);
  return lines.join('\n\n');
}

export interface SubjectRequestsDeps {
  data: DataAccess;
  audit: AuditTrail;
  now: () => Date;
  blobs: BlobStore;
  clockStart: ClockStart;
  forceName: string;
}

export interface DisclosurePack {
  directory: string;
  files: readonly PackageFile[];
  manifest: SubjectAccessManifest;
  manifestSha256: string;
  discard(): Promise<void>;
}

export interface PackMedia {
  id: string;
  kind: string;
  label: string;
  mediaType: string;
  /** disclosed (a redacted copy, as a file), withheld_pending_redaction (media no approved redacted copy covers), replaced (its redacted copy went instead), text_in_data (its content is in the data file, redacted). */
  disposition: 'disclosed' | 'withheld_pending_redaction' | 'replaced_by_redacted_copy' | 'text_in_data';
  path?: string;
  sha256?: string;
  sizeBytes?: number;
  derivedFrom?: string[];
  retentionBasis: string;
  reviewDueAt: string | null;
}

export interface SubjectAccessManifest {
  format: typeof SUBJECT_PACK_FORMAT;
  formatVersion: 1;
  request: { reference: string; kind: string; receivedOn: string };
  createdAt: string;
  createdBy: string;
  hashAlgorithm: 'SHA-256';
  information: typeof ACCESS_INFORMATION & { categories: string[]; recipients: string[] };
  accessRestriction: { grounds: string[]; reason: string | null };
  thirdParties: { terms: number; replacements: number };
  consultations: { reference: string; cadReference: string; path: string }[];
  media: PackMedia[];
  files: { path: string; sha256: string; sizeBytes: number; mediaType: string }[];
}

export interface RequestView {
  request: SubjectRequestRow;
  clock: ClockStatus;
  consultations: Awaited<ReturnType<DataAccess['repos']['subjectRequests']['consultationsByIds']>>;
  rectifications: RectificationRow[];
  restrictions: ProcessingRestrictionRow[];
  notice: string;
}

const MEDIA = /^(video|audio|image)\//;

function idsOf(row: SubjectRequestRow): string[] {
  return Array.isArray(row.consultationIds) ? (row.consultationIds as string[]) : [];
}

function field(message: string, name: string): ValidationError {
  return new ValidationError(message, { [name]: message });
}

/**
 * The DPO's register of data subjects' requests (issue 16 §1): access (DP-06), rectification (DP-09), erasure and
 * restriction (DP-10), each with the statutory clock (DP-07), restrictions of the right (DP-08) and the notice of
 * decision (DP-11). Every change is audited; every disclosure is audited with its justification and recipient (DP-01).
 */
export class SubjectRequestsService {
  constructor(private readonly deps: SubjectRequestsDeps) {}

  /** Today as the force's office sees it (UK time: between midnight and 1 am BST the UTC day is still yesterday). */
  private today(): CalendarDate {
    return londonDay(this.deps.now());
  }

  private date(value: string | undefined, name: string, what: string, required: boolean): CalendarDate | undefined {
    const v = (value ?? '').trim();
    if (!v) {
      if (required) throw field(`Enter ${what} as YYYY-MM-DD`, name);
      return undefined;
    }
    if (!isCalendarDate(v)) throw field(`Enter ${what} as YYYY-MM-DD`, name);
    if (daysBetween(this.today(), v) > 0) throw field(`${what[0]!.toUpperCase()}${what.slice(1)} cannot be in the future`, name);
    return v;
  }

  private userId(context: RequestContext): string {
    if (context.actor.type !== 'user') throw new ForbiddenError('Only a person can do this');
    return context.actor.userId;
  }

  facts(row: SubjectRequestRow): ClockFacts {
    return {
      receivedOn: row.receivedOn,
      identityRequested: !!row.identityRequestedOn,
      identityReceivedOn: row.identityReceivedOn ?? undefined,
      extensionMonths: row.extensionMonths,
      pausedDays: row.pausedDays,
      pausedSince: row.pausedSince ?? undefined,
      respondedOn: row.noticeSentOn ?? undefined,
    };
  }

  clock(row: SubjectRequestRow): ClockStatus {
    return clockStatus(this.facts(row), this.deps.clockStart, this.today());
  }

  async list(): Promise<{ request: SubjectRequestRow; clock: ClockStatus }[]> {
    return (await this.deps.data.repos.subjectRequests.list(200)).map((request) => ({ request, clock: this.clock(request) }));
  }

  async view(id: string): Promise<RequestView> {
    const repo = this.deps.data.repos.subjectRequests;
    const request = await repo.find(id);
    if (!request) throw new NotFoundError('There is no request with that id');
    const ids = idsOf(request);
    return {
      request,
      clock: this.clock(request),
      consultations: await repo.consultationsByIds(ids),
      rectifications: await repo.listRectifications(ids),
      restrictions: await repo.listRestrictions(ids),
      notice: noticeText(request, this.deps.forceName),
    };
  }

  async create(
    context: RequestContext,
    input: {
      kind?: string;
      subjectName?: string;
      subjectPhone?: string;
      subjectContact?: string;
      details?: string;
      receivedOn?: string;
      identityNeeded?: string;
    },
  ): Promise<SubjectRequestRow> {
    const createdBy = this.userId(context);
    const kind = input.kind as RequestKind;
    if (!Object.hasOwn(REQUEST_KINDS, kind)) throw field('Choose what kind of request this is', 'kind');
    const subjectName = (input.subjectName ?? '').trim();
    if (subjectName.length < 2) throw field('Enter the name the requester gave', 'subjectName');
    let subjectPhone: string | null = null;
    if (input.subjectPhone?.trim()) {
      const checked = normaliseUkMobile(input.subjectPhone.trim());
      if (!checked.ok) throw field(checked.problem, 'subjectPhone');
      subjectPhone = checked.e164;
    }
    const receivedOn = this.date(input.receivedOn, 'receivedOn', 'the date the request was received', true)!;
    const now = this.deps.now();
    return this.deps.data.transaction(async (tx) => {
      await tx.subjectRequests.lockRegister();
      const year = Number(receivedOn.slice(0, 4));
      const reference = `DSR-${year}-${String((await tx.subjectRequests.lastNumber(year)) + 1).padStart(4, '0')}`;
      const row = await tx.subjectRequests.create({
        reference,
        kind,
        subjectName,
        subjectPhone,
        subjectContact: input.subjectContact?.trim() || null,
        details: input.details?.trim() || null,
        receivedOn,
        identityRequestedOn: input.identityNeeded === 'yes' ? receivedOn : null,
        createdBy,
        createdAt: now,
        updatedAt: now,
      });
      await this.deps.audit.record(tx.audit, context, {
        what: 'subject_request.received',
        subject: `subject_request:${row.id}`,
        details: { reference, kind, receivedOn, identityNeeded: input.identityNeeded === 'yes' },
      });
      return row;
    });
  }

  /** Runs `change` on the locked request and audits it; refuses once the notice of decision has gone. */
  private async change(
    context: RequestContext,
    id: string,
    what: string,
    change: (
      row: SubjectRequestRow,
      tx: Parameters<Parameters<DataAccess['transaction']>[0]>[0],
    ) => Promise<{ details: Record<string, unknown>; justification?: string }>,
    options: { allowClosed?: boolean } = {},
  ): Promise<void> {
    this.userId(context);
    await this.deps.data.transaction(async (tx) => {
      const row = await tx.subjectRequests.lock(id);
      if (!row) throw new NotFoundError('There is no request with that id');
      if (row.noticeSentOn && !options.allowClosed) throw new ConflictError('The notice of decision has been sent: this request is closed');
      const { details, justification } = await change(row, tx);
      await tx.subjectRequests.update(id, { updatedAt: this.deps.now() });
      await this.deps.audit.record(tx.audit, context, {
        what,
        subject: `subject_request:${id}`,
        justification,
        details: { reference: row.reference, ...details },
      });
    });
  }

  /** DP-07: the identity information arrived; the clock runs from the latest of receipt and this. */
  recordIdentity(context: RequestContext, id: string, input: { identityReceivedOn?: string; identityCheck?: string }): Promise<void> {
    const on = this.date(input.identityReceivedOn, 'identityReceivedOn', 'the date the identity information arrived', true)!;
    const check = requireReason(input.identityCheck, 'identityCheck', 'how the identity was checked');
    return this.change(context, id, 'subject_request.identity_checked', async (row, tx) => {
      if (daysBetween(row.receivedOn, on) < 0) throw field('The identity information cannot have arrived before the request', 'identityReceivedOn');
      await tx.subjectRequests.update(id, { identityReceivedOn: on, identityCheck: check, identityRequestedOn: row.identityRequestedOn ?? row.receivedOn });
      return { details: { identityReceivedOn: on } };
    });
  }

  /** DP-07: one extension of one or two months, with its reason, noticed before the first month ends. */
  extend(context: RequestContext, id: string, input: { months?: string; reason?: string; noticedOn?: string }): Promise<void> {
    const months = Number(input.months);
    const reason = requireReason(input.reason, 'reason', 'the reason for the extension (complexity or number of requests)');
    const noticedOn = this.date(input.noticedOn, 'noticedOn', 'the date the requester was told', true)!;
    return this.change(context, id, 'subject_request.extended', async (row, tx) => {
      const problem = extensionProblem(this.facts(row), this.deps.clockStart, months, noticedOn);
      if (problem) throw field(problem, 'months');
      await tx.subjectRequests.update(id, { extensionMonths: months, extensionReason: reason, extensionNoticedOn: noticedOn });
      return { details: { months, noticedOn }, justification: reason };
    });
  }

  /** DP-07: the clock pauses while clarification the controller reasonably needs is awaited, and resumes. */
  pause(context: RequestContext, id: string, input: { action?: string; on?: string }): Promise<void> {
    const on = this.date(input.on, 'on', 'the date', true)!;
    return this.change(context, id, input.action === 'resume' ? 'subject_request.clock_resumed' : 'subject_request.clock_paused', async (row, tx) => {
      if (input.action === 'resume') {
        if (!row.pausedSince) throw field('The clock is not paused', 'on');
        const days = daysBetween(row.pausedSince, on);
        if (days < 0) throw field('The clock cannot resume before it paused', 'on');
        await tx.subjectRequests.update(id, { pausedSince: null, pausedDays: row.pausedDays + days });
        return { details: { on, days } };
      }
      if (row.pausedSince) throw field('The clock is already paused', 'on');
      await tx.subjectRequests.update(id, { pausedSince: on });
      return { details: { on } };
    });
  }

  /** DP-08: the right of access restricted, wholly or partly, on s.45(4) grounds, with the reason. */
  restrictAccess(context: RequestContext, id: string, input: { grounds?: string | string[]; reason?: string }): Promise<void> {
    const grounds = [input.grounds ?? []].flat().filter((g): g is AccessRestrictionGround => Object.hasOwn(ACCESS_RESTRICTION_GROUNDS, g));
    if (grounds.length === 0) throw field('Choose at least one ground of s.45(4)', 'grounds');
    const reason = requireReason(input.reason, 'restrictionReason', 'why restricting access is necessary and proportionate');
    return this.change(context, id, 'subject_request.access_restricted', async (_row, tx) => {
      await tx.subjectRequests.update(id, { restrictionGrounds: grounds, restrictionReason: reason });
      return { details: { grounds }, justification: reason };
    });
  }

  /** Links a consultation (found with the subject search) to the request by its reference. */
  linkConsultation(context: RequestContext, id: string, input: { reference?: string }): Promise<void> {
    const reference = (input.reference ?? '').trim();
    if (!reference) throw field('Enter the consultation’s reference', 'reference');
    return this.change(context, id, 'subject_request.consultation_linked', async (row, tx) => {
      const found = await tx.erasure.findByReference(reference);
      if (!found) throw field('There is no consultation with that reference', 'reference');
      const ids = idsOf(row);
      if (!ids.includes(found.id)) await tx.subjectRequests.update(id, { consultationIds: [...ids, found.id] });
      return { details: { consultationId: found.id } };
    });
  }

  private async linked(id: string, consultationId: string | undefined): Promise<{ row: SubjectRequestRow; consultationId: string }> {
    const row = await this.deps.data.repos.subjectRequests.find(id);
    if (!row) throw new NotFoundError('There is no request with that id');
    if (!consultationId || !idsOf(row).includes(consultationId)) throw field('Choose one of the consultations linked to this request', 'consultationId');
    return { row, consultationId };
  }

  /**
   * DP-09 (s.46): corrects an incident field in place, keeping the original beside the correction with who and why;
   * or adds a supplementary statement, which changes nothing (evidence is never edited).
   */
  async rectify(
    context: RequestContext,
    id: string,
    input: { consultationId?: string; field?: string; value?: string; reason?: string },
  ): Promise<RectificationRow> {
    const userId = this.userId(context);
    const { consultationId } = await this.linked(id, input.consultationId);
    const target = input.field ?? '';
    const supplementary = target === 'supplementary';
    if (!supplementary && !Object.hasOwn(RECTIFIABLE_FIELDS, target)) throw field('Choose the field to correct, or a supplementary statement', 'field');
    const value = (input.value ?? '').trim();
    if (!value) throw field(supplementary ? 'Enter the supplementary statement' : 'Enter the corrected value', 'value');
    if (value.length > 4000) throw field('Keep the correction under 4,000 characters', 'value');
    const reason = requireReason(input.reason, 'reason', 'why the data is inaccurate or incomplete');
    let made: RectificationRow | undefined;
    await this.change(context, id, 'personal_data.rectified', async (_row, tx) => {
      if (await tx.erasure.findForConsultation(consultationId)) throw field('This consultation’s personal data has been erased', 'consultationId');
      let original: string | null = null;
      if (!supplementary) {
        const current = await tx.subjectRequests.lockIncidentField(consultationId, target as RectifiableField);
        if (current === undefined) throw new NotFoundError('There is no such consultation');
        original = current;
        await tx.subjectRequests.setIncidentField(consultationId, target as RectifiableField, value);
      }
      made = await tx.subjectRequests.createRectification({
        requestId: id,
        consultationId,
        field: target,
        mode: supplementary ? 'supplementary' : 'corrected',
        originalValue: original,
        correctedValue: value,
        reason,
        rectifiedBy: userId,
        rectifiedAt: this.deps.now(),
      });
      // DP-03 spirit: the log says which field, when and who; never the values.
      return { details: { consultationId, field: target, mode: made.mode, rectificationId: made.id }, justification: reason };
    });
    return made!;
  }

  /** DP-10 (s.47): restricts the processing of a consultation's data: its material is not exported or shared meanwhile. */
  async restrictProcessing(context: RequestContext, id: string, input: { consultationId?: string; reason?: string }): Promise<void> {
    const userId = this.userId(context);
    const { consultationId } = await this.linked(id, input.consultationId);
    const reason = requireReason(input.reason, 'reason', 'why processing is restricted (accuracy contested, or kept for evidence instead of erased)');
    await this.change(context, id, 'processing.restricted', async (_row, tx) => {
      if (await tx.subjectRequests.activeRestriction(consultationId)) throw field('Processing of this consultation is already restricted', 'consultationId');
      const made = await tx.subjectRequests.createRestriction({ consultationId, requestId: id, reason, placedBy: userId, placedAt: this.deps.now() });
      await this.deps.audit.record(tx.audit, context, {
        what: 'processing.restricted',
        subject: `consultation:${consultationId}`,
        justification: reason,
        details: { restrictionId: made.id },
      });
      return { details: { consultationId, restrictionId: made.id }, justification: reason };
    });
  }

  async liftRestriction(context: RequestContext, id: string, input: { consultationId?: string; reason?: string }): Promise<void> {
    const userId = this.userId(context);
    const { consultationId } = await this.linked(id, input.consultationId);
    const reason = requireReason(input.reason, 'reason', 'why the restriction is lifted');
    await this.change(
      context,
      id,
      'processing.restriction_lifted',
      async (_row, tx) => {
        const standing = await tx.subjectRequests.activeRestriction(consultationId);
        if (!standing) throw field('Processing of this consultation is not restricted', 'consultationId');
        await tx.subjectRequests.liftRestriction(standing.id, { liftedBy: userId, liftedAt: this.deps.now(), liftReason: reason });
        await this.deps.audit.record(tx.audit, context, {
          what: 'processing.restriction_lifted',
          subject: `consultation:${consultationId}`,
          justification: reason,
          details: { restrictionId: standing.id },
        });
        return { details: { consultationId, restrictionId: standing.id }, justification: reason };
      },
      { allowClosed: true },
    );
  }

  /** DP-11 (s.48): the decision, its reasons when not granted in full, and the day the written notice went. */
  decide(context: RequestContext, id: string, input: { decision?: string; reason?: string; noticeSentOn?: string }): Promise<void> {
    const decision = input.decision as Decision;
    if (!Object.hasOwn(DECISIONS, decision)) throw field('Choose the decision', 'decision');
    const reason =
      decision === 'granted' ? input.reason?.trim() || null : requireReason(input.reason, 'reason', 'the reasons for refusing (they go in the notice)');
    const noticeSentOn = this.date(input.noticeSentOn, 'noticeSentOn', 'the date the notice was sent', true)!;
    return this.change(context, id, 'subject_request.decided', async (row, tx) => {
      if (daysBetween(row.receivedOn, noticeSentOn) < 0) throw field('The notice cannot be sent before the request was received', 'noticeSentOn');
      await tx.subjectRequests.update(id, { decision, decisionReason: reason, noticeSentOn });
      const late = clockStatus({ ...this.facts(row), respondedOn: noticeSentOn }, this.deps.clockStart, noticeSentOn).respondedLate ?? false;
      return { details: { decision, noticeSentOn, late }, justification: reason ?? undefined };
    });
  }

  /**
   * DP-06 (s.45): the disclosure pack of everything held about the subject in the linked consultations: a folder of
   * one JSON file per consultation (every inventory table's rows and the s.62 log's events about it), the media as
   * approved redacted copies only (anything else is listed as withheld pending redaction), manifest.json with the
   * s.45(2) information and every file's SHA-256, and SHA256SUMS. Third parties the DPO names are redacted from every
   * text. The disclosure is audited with its justification and recipient (DP-01) and the manifest's hash.
   */
  async disclose(context: RequestContext, id: string, input: { justification?: string; recipient?: string; thirdParties?: string }): Promise<DisclosurePack> {
    const userId = this.userId(context);
    const justification = requireReason(input.justification, 'justification', 'the reason for this disclosure (the request it answers)');
    const recipient = (input.recipient ?? '').trim();
    if (recipient.length < 2) throw field('Enter who receives the pack (the data subject, or who acts for them)', 'recipient');
    const terms = parseThirdPartyTerms(input.thirdParties);
    const repos = this.deps.data.repos;
    const request = await repos.subjectRequests.find(id);
    if (!request) throw new NotFoundError('There is no request with that id');
    const ids = idsOf(request);
    if (ids.length === 0) throw field('Link the consultations this request concerns first (search for the subject)', 'justification');
    const createdAt = this.deps.now();
    const { directory, remove } = await stagingFolder(`rvr-sar-${request.reference.replace(/[^A-Za-z0-9._-]/g, '_')}-`, ['data', 'media']);
    try {
      const files: PackageFile[] = [];
      const media: PackMedia[] = [];
      const consultations: SubjectAccessManifest['consultations'] = [];
      const categories = new Set<string>();
      const recipients = new Set<string>();
      let replacements = 0;
      for (const c of await repos.subjectRequests.consultationsByIds(ids)) {
        const tables: Record<string, Record<string, unknown>[]> = {};
        for (const entry of PERSONAL_DATA_INVENTORY) {
          const rows = await repos.subjectRequests.tableRows(entry, c.id);
          if (!rows || rows.length === 0) continue;
          // Storage keys and hashes are not the subject's data; everything else held about them is.
          const shown = Object.entries(entry.columns)
            .filter(([, t]) => !(t.do === 'keep' && (t.why === 'technical' || t.why === 'hash')))
            .map(([column]) => column);
          tables[entry.table] = rows.map((row) => Object.fromEntries(shown.filter((col) => col in row).map((col) => [col, row[col]])));
          categories.add(entry.table);
        }
        const audit = await repos.subjectRequests.auditEvents(c.id);
        for (const e of audit) if (e.recipient) recipients.add(e.recipient);
        const redacted = redactDeep({ consultation: { reference: c.reference, cadReference: c.cadReference, state: c.state }, tables, auditLog: audit }, terms);
        replacements += redacted.count;
        const relative = `data/${c.reference.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
        files.push(await writeSmall(directory, relative, `${JSON.stringify(redacted.value, null, 2)}\n`, 'application/json'));
        consultations.push({ reference: c.reference, cadReference: c.cadReference, path: relative });

        // Media: only an approved redacted copy goes (EVD-09, ADR 0015); a master nobody has redacted is withheld.
        const items = (await repos.evidence.listByConsultation(c.id)).filter((i) => i.state === 'present');
        const approved = new Map<string, string>();
        for (const r of await repos.redactions.listApproved(c.id))
          if (r.resultItemId && !approved.has(r.sourceItemId)) approved.set(r.sourceItemId, r.resultItemId);
        const approvedCopies = new Set(approved.values());
        for (const item of items) {
          const base = {
            id: item.id,
            kind: item.kind,
            label: redactDeep(item.label, terms).value,
            mediaType: item.mediaType,
            retentionBasis: item.retentionBasis,
            reviewDueAt: item.reviewDueAt ? item.reviewDueAt.toISOString() : null,
          };
          if (!MEDIA.test(item.mediaType)) {
            media.push({ ...base, disposition: 'text_in_data' });
          } else if (item.kind === 'redacted_copy' && approvedCopies.has(item.id)) {
            const extension = path.extname(item.fileKey).replace(/[^A-Za-z0-9.]/g, '') || '.bin';
            const relativeMedia = `media/${item.id}${extension}`;
            const written = await writeHashed(await this.deps.blobs.get(item.fileKey), path.join(directory, relativeMedia));
            if (written.sha256 !== item.sha256.toLowerCase())
              throw new ConflictError(`Redacted copy ${item.id} does not match its recorded SHA-256: nothing was disclosed`);
            files.push(stagedFile(directory, relativeMedia, written, item.mediaType));
            const derivedFrom = Array.isArray(item.derivedFrom) ? (item.derivedFrom as string[]) : [];
            media.push({ ...base, disposition: 'disclosed', path: relativeMedia, sha256: written.sha256, sizeBytes: written.sizeBytes, derivedFrom });
          } else if (approved.has(item.id)) {
            media.push({ ...base, disposition: 'replaced_by_redacted_copy' });
          } else {
            media.push({ ...base, disposition: 'withheld_pending_redaction' });
          }
        }
      }
      const manifest: SubjectAccessManifest = {
        format: SUBJECT_PACK_FORMAT,
        formatVersion: 1,
        request: { reference: request.reference, kind: request.kind, receivedOn: request.receivedOn },
        createdAt: createdAt.toISOString(),
        createdBy: `user:${userId}`,
        hashAlgorithm: 'SHA-256',
        information: { ...ACCESS_INFORMATION, categories: [...categories].sort(), recipients: [...recipients].sort() },
        accessRestriction: {
          grounds: Array.isArray(request.restrictionGrounds) ? (request.restrictionGrounds as string[]) : [],
          reason: request.restrictionReason,
        },
        thirdParties: {
          // How many names were replaced, never the names nor a hash of them: a plain hash of a short list of names
          // can be tested against guesses by whoever holds the pack, which would undo the redaction.
          terms: terms.length,
          replacements,
        },
        consultations,
        media,
        files: files.map((f) => ({ path: f.path, sha256: f.sha256, sizeBytes: f.sizeBytes, mediaType: f.mediaType })),
      };
      const manifestFile = await writeSmall(directory, 'manifest.json', `${JSON.stringify(manifest, null, 2)}\n`, 'application/json');
      files.push(manifestFile);
      files.push(await writeSmall(directory, 'SHA256SUMS', files.map((f) => `${f.sha256}  ${f.path}\n`).join(''), 'text/plain'));
      await this.deps.data.transaction(async (tx) => {
        await tx.subjectRequests.update(id, { disclosureSha256: manifestFile.sha256, disclosedAt: createdAt, updatedAt: createdAt });
        await this.deps.audit.record(tx.audit, context, {
          what: 'subject_request.disclosed',
          subject: `subject_request:${id}`,
          justification,
          recipient,
          details: {
            reference: request.reference,
            consultationIds: ids,
            manifestSha256: manifestFile.sha256,
            mediaDisclosed: media.filter((m) => m.disposition === 'disclosed').map((m) => m.id),
            mediaWithheld: media.filter((m) => m.disposition === 'withheld_pending_redaction').map((m) => m.id),
            thirdPartyReplacements: replacements,
          },
        });
      });
      return {
        directory,
        files,
        manifest,
        manifestSha256: manifestFile.sha256,
        discard: remove,
      };
    } catch (error) {
      await remove();
      throw error;
    }
  }
}
