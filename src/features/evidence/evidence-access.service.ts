import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { RequestContext } from '../../platform/context.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { COLLATERAL_MARK_LABELS, isCollateralMarkKind, markOnClock } from '../../domain/collateral-marks.js';
import { ROLE_LABELS, isRole } from '../../domain/roles.js';
import type { AuditRow } from '../../platform/audit/audit.repository.js';
import type { EvidenceItemRow, EvidenceSearch } from './evidence.repository.js';
import { EVIDENCE_KIND_LABELS, EVIDENCE_STATE_LABELS } from './evidence-list.js';
import type { ByteRange } from '../../platform/storage/blob-store.js';
import { custodyFields } from '../../domain/custody.js';
import { requireReason, type EvidenceDeps } from './evidence-shared.js';

/** An item's bytes for a response: its size, and a reader for all or a range of it (the store serves ranges). */
export interface EvidenceContent {
  size: number;
  read(range?: ByteRange): Promise<Readable>;
}

const GRANT_MINUTES = 30;

/** The automatic actors of the evidence trail, as a records officer would name them (issue 15 §4). */
const SYSTEM_ACTORS: Record<string, string> = {
  media: 'The media server',
  'media-nodes': 'The media server',
  'evidence-register': 'The evidence register',
  'evidence-integrity': 'The integrity check',
  'evidence-disposal': 'The disposal job',
  'evidence-disposal-resume': 'The disposal job, finishing after a restart',
  'evidence-purge': 'The purge after export',
  'evidence-work': 'The evidence work queue',
  'evidence-export': 'The export to the evidence system',
  'evidence-working-copy': 'The working-copy maker',
  call: 'The video call service',
  'call-timer': 'The call timer',
  startup: 'The platform, on start',
  shutdown: 'The platform, on shutdown',
};
const LINK_ROLES: Record<string, string> = { victim: 'The victim', interpreter: 'The interpreter' };

/**
 * Who did it, in words, from an audit row's `who` (`user:<id>`, `system:<name>`, `cli:<os user>`, `link:<participant>`)
 * and the roles it recorded at the time: "PC Jane Smith (RVR officer)", "The media server (automatic)".
 */
export function describeActor(who: string, actorRole: string | null, names: Map<string, string>): string {
  const [type, ...rest] = who.split(':');
  const id = rest.join(':');
  switch (type) {
    case 'user': {
      const roles = (actorRole ?? '')
        .split(',')
        .filter(isRole)
        .map((r) => ROLE_LABELS[r]);
      const name = names.get(id) ?? 'A user no longer on the system';
      return roles.length > 0 ? `${name} (${roles.join(', ')})` : name;
    }
    case 'system':
      return `${SYSTEM_ACTORS[id] ?? `The platform’s ${id.replace(/-/g, ' ')} job`} (automatic)`;
    case 'cli':
      return `An operator at the command line (${id})`;
    case 'link':
      return `${LINK_ROLES[actorRole ?? ''] ?? 'A call participant'} (by the call link)`;
    default:
      return who;
  }
}

/**
 * Access to evidence: finding items, and opening, playing and downloading them, each justified and logged as
 * continuity (DP-01, EVD-03); playback needs the short-lived grant a justified opening hands out (ADR 0008).
 */
export class EvidenceAccessService {
  constructor(private readonly deps: Pick<EvidenceDeps, 'data' | 'audit' | 'blobs' | 'grantKeys' | 'now'>) {}

  private get data() {
    return this.deps.data;
  }

  /** The evidence list (issue 15 §4): one page of the items that match, the total, and the officers to filter by. */
  async list(search: EvidenceSearch) {
    const [{ rows, total }, officers] = await Promise.all([this.data.repos.evidence.search(search), this.data.repos.evidence.listOfficersWithEvidence()]);
    const items = rows.map((row) => ({
      ...row,
      kindLabel: EVIDENCE_KIND_LABELS[row.kind] ?? row.kind,
      stateLabel: EVIDENCE_STATE_LABELS[row.state] ?? row.state,
    }));
    return { items, total, officers };
  }

  /** The chain of custody with each actor named (issue 15 §4); `who` and `actorRole` stay as recorded for the export and audit. */
  private async named(item: EvidenceItemRow, continuity: AuditRow[]) {
    const actors = [item.capturedBy, ...continuity.map((e) => e.who)];
    const userIds = [...new Set(actors.filter((who) => who.startsWith('user:')).map((who) => who.slice('user:'.length)))];
    const names = await this.data.repos.evidence.displayNames(userIds.filter((id) => /^[0-9a-f-]{36}$/.test(id)));
    return {
      capturedByName: describeActor(item.capturedBy, null, names),
      continuity: continuity.map((e) => ({ ...e, whoName: describeActor(e.who, e.actorRole, names) })),
    };
  }

  /** What may be shown before a justified opening: enough to choose the item, no content. */
  async itemHeader(id: string) {
    const item = await this.data.repos.evidence.findItem(id);
    if (!item) throw new NotFoundError('There is no evidence item with that id');
    const consultation = (await this.data.repos.consultations.findById(item.consultationId))!;
    return { item, consultation };
  }

  /**
   * Opens an item: logged with the justification (DP-01) as a continuity entry, and returns the item's page
   * data with a playback grant for this user valid for a short while.
   */
  async open(context: RequestContext, id: string, justification: string) {
    const reason = requireReason(justification, 'justification', 'a reason for opening this item');
    return this.data.transaction(async (tx) => {
      const item = await tx.evidence.findItem(id);
      if (!item) throw new NotFoundError('There is no evidence item with that id');
      if (item.restrictedAt) throw new ForbiddenError('This item is restricted (DPA 2018 s.47): it cannot be opened until the restriction is lifted');
      if (item.state !== 'present') throw new ConflictError('This item has been disposed of; its disposal certificate is kept');
      await this.deps.audit.record(tx.audit, context, {
        what: 'evidence.viewed',
        subject: `evidence:${item.id}`,
        justification: reason,
        details: { kind: item.kind },
      });
      return { item, grant: this.grant(context, item.id) };
    });
  }

  /**
   * Opens every recording of a consultation together, to play in sync: each is a logged, justified view (DP-01),
   * with its offset from the earliest start so the player can place it on one clock.
   */
  async openRecordings(context: RequestContext, consultationId: string, justification: string) {
    const reason = requireReason(justification, 'justification', 'a reason for playing the call');
    return this.data.transaction(async (tx) => {
      const consultation = await tx.consultations.findById(consultationId);
      if (!consultation) throw new NotFoundError('No consultation with that id');
      const recordings = (await tx.evidence.listByConsultation(consultationId)).filter(
        (i) => i.kind === 'recording' && i.state === 'present' && !i.restrictedAt,
      );
      if (recordings.length === 0) throw new ConflictError('This consultation has no recordings that can be played');
      // One query at a time: a transaction is one connection, and pg refuses overlapping queries on a client (pg@9).
      const rows = [];
      for (const item of recordings) rows.push(await tx.recordings.findById(item.sourceId.replace(/^recording:/, '')));
      // EVD-05: placed by media time (the senders' reports) where there is one.
      const starts = rows.map((recording, index) => recording?.mediaStartedAt ?? recording?.firstPacketAt ?? recordings[index]!.capturedAt);
      const earliest = Math.min(...starts.map((d) => d.getTime()));
      // RVR-13: the officer's marks of others present, on the player's clock (0 = the earliest media start).
      const totalSeconds = Math.max(0, ...rows.map((r, index) => (starts[index]!.getTime() - earliest + (r?.durationMs ?? 0)) / 1000));
      const marks = (await tx.collateralMarks.listByConsultation(consultationId)).flatMap((mark) => {
        const range = markOnClock(mark, new Date(earliest), totalSeconds);
        return range ? [{ kind: mark.kind, label: isCollateralMarkKind(mark.kind) ? COLLATERAL_MARK_LABELS[mark.kind] : mark.kind, ...range }] : [];
      });
      const tracks = [];
      for (const [index, item] of recordings.entries()) {
        await this.deps.audit.record(tx.audit, context, {
          what: 'evidence.viewed',
          subject: `evidence:${item.id}`,
          justification: reason,
          details: { kind: item.kind, playedWith: recordings.length - 1 },
        });
        tracks.push({ item, offsetMs: starts[index]!.getTime() - earliest, grant: encodeURIComponent(this.grant(context, item.id)) });
      }
      return { consultation, tracks, marks };
    });
  }

  /** The consultation's record for the item page: holds, retention facts, reviews and the item's continuity. */
  async itemRecord(id: string) {
    const { item, consultation } = await this.itemHeader(id);
    const repos = this.data.repos;
    const [holds, retention, reviews, continuity, siblings] = await Promise.all([
      repos.evidence.listHolds(item.consultationId),
      repos.evidence.findRetention(item.consultationId),
      repos.evidence.listReviews(item.consultationId),
      repos.audit.listForSubjects([`evidence:${item.id}`, `consultation:${item.consultationId}`], 'evidence.'),
      repos.evidence.listByConsultation(item.consultationId),
    ]);
    // EVD-04: every custody entry with its reason and before/after hashes (of this item), and who in names and roles.
    const scope = [{ id: item.id, sha256: item.sha256 }];
    const named = await this.named(item, continuity);
    return {
      item,
      consultation,
      holds,
      retention,
      reviews,
      ...named,
      continuity: named.continuity.map((e) => ({ ...e, custody: custodyFields(e, scope) })),
      siblings,
    };
  }

  /** A consultation's evidence for the records staff: items, holds, retention facts and reviews. */
  async consultationRecord(consultationId: string) {
    const repos = this.data.repos;
    const consultation = await repos.consultations.findById(consultationId);
    if (!consultation) throw new NotFoundError('No consultation with that id');
    const [items, holds, retention, reviews] = await Promise.all([
      repos.evidence.listByConsultation(consultationId),
      repos.evidence.listHolds(consultationId),
      repos.evidence.findRetention(consultationId),
      repos.evidence.listReviews(consultationId),
    ]);
    return { consultation, items, holds, retention, reviews };
  }

  private grant(context: RequestContext, itemId: string): string {
    const expires = this.deps.now().getTime() + GRANT_MINUTES * 60_000;
    const who = context.actor.type === 'user' ? context.actor.userId : 'none';
    const payload = `${itemId}.${who}.${expires}`;
    return `${expires}.${createHmac('sha256', this.deps.grantKeys[0]).update(payload).digest('base64url')}`;
  }

  /** The master's content for playback (HTTP ranges), if the grant from a justified opening is this user's and current. */
  async playback(context: RequestContext, id: string, grant: string): Promise<{ content: EvidenceContent; item: EvidenceItemRow }> {
    const [expiresText, signature] = grant.split('.');
    const expires = Number(expiresText);
    const who = context.actor.type === 'user' ? context.actor.userId : 'none';
    const given = Buffer.from(signature ?? '', 'base64url');
    const signedByUs = this.deps.grantKeys.some((key) => {
      const expected = createHmac('sha256', key).update(`${id}.${who}.${expires}`).digest();
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!Number.isFinite(expires) || !signedByUs) throw new ForbiddenError('Open the item with a reason before playing it');
    if (expires < this.deps.now().getTime()) throw new ForbiddenError('Your viewing of this item has timed out: open it again with a reason');
    const item = await this.data.repos.evidence.findItem(id);
    if (!item || item.state !== 'present') throw new NotFoundError('There is no evidence item with that id');
    if (item.restrictedAt) throw new ForbiddenError('This item is restricted (DPA 2018 s.47)');
    const content = await this.content(item.fileKey);
    if (!content) throw new ConflictError('The master file is missing: tell the evidence manager (the integrity check reports it)');
    return { content, item };
  }

  private async content(key: string): Promise<EvidenceContent | undefined> {
    const head = await this.deps.blobs.head(key);
    if (!head) return undefined;
    return { size: head.size, read: (range) => this.deps.blobs.get(key, range) };
  }

  /** A download is a disclosure: logged with the justification and the recipient before a byte leaves (DP-01, EVD-03). */
  async download(context: RequestContext, id: string, input: { justification?: string; recipient?: string }) {
    const reason = requireReason(input.justification, 'justification', 'a reason for the download');
    const recipient = (input.recipient ?? '').trim();
    if (recipient.length < 3 || recipient.length > 300)
      throw new ValidationError('Say who will receive the copy', { recipient: 'Say who will receive the copy (for example “CPS Kent, reviewing lawyer”)' });
    // DP-10 (s.47, issue 16 §1): while the DPO restricts processing of the consultation, none of it is disclosed (audited).
    const found = await this.data.repos.evidence.findItem(id);
    const restriction = found ? await this.data.repos.subjectRequests.activeRestriction(found.consultationId) : undefined;
    if (found && restriction) {
      await this.deps.audit.record(this.data.repos.audit, context, {
        what: 'processing.restriction_enforced',
        subject: `consultation:${found.consultationId}`,
        details: { refused: 'download', itemId: found.id, restrictionId: restriction.id },
      });
      throw new ForbiddenError('Processing of this consultation’s data is restricted by the data protection officer (DPA 2018 s.47): it cannot be disclosed');
    }
    return this.data.transaction(async (tx) => {
      const item = await tx.evidence.findItem(id);
      if (!item) throw new NotFoundError('There is no evidence item with that id');
      if (item.restrictedAt) throw new ForbiddenError('This item is restricted (DPA 2018 s.47): it cannot be disclosed until the restriction is lifted');
      if (item.state !== 'present') throw new ConflictError('This item has been disposed of');
      const content = await this.content(item.fileKey);
      if (!content) throw new ConflictError('The master file is missing: the integrity alert has been raised');
      await this.deps.audit.record(tx.audit, context, {
        what: 'evidence.disclosed',
        subject: `evidence:${item.id}`,
        justification: reason,
        recipient,
        details: { kind: item.kind, sha256: item.sha256 },
      });
      return { item, content };
    });
  }
}
