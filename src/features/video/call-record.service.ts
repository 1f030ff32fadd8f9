import { mayReadConsultationRecord } from '../../domain/ownership.js';
import type { RequestContext } from '../../platform/context.js';
import { AccessRefusedError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import type { CallDeps } from './call.service.js';
import type { ChatMessageRow, InviteRow, ParticipantRow } from './calls.repository.js';
import { marksInRecording, markView } from './collateral-marks.service.js';

/** Reading a call: the live view its officer's page and rooms see, and the logged call record (DP-01, DP-04). */
export class CallRecordService {
  constructor(private readonly deps: Pick<CallDeps, 'data' | 'audit'>) {}

  private get data() {
    return this.deps.data;
  }

  /** The whole call as its officer's page and the live rooms see it (the caller has checked who is asking); never a secret's hash. */
  async callView(callId: string) {
    const repos = this.data.repos;
    const [call, invites, participants, events, chat, recordings, snapshots, marks] = await Promise.all([
      repos.calls.findById(callId),
      repos.calls.listInvites(callId),
      repos.calls.listParticipants(callId),
      repos.calls.listEvents(callId),
      repos.calls.listChat(callId),
      repos.recordings.listByCall(callId),
      repos.recordings.listSnapshots(callId),
      repos.collateralMarks.listByCall(callId),
    ]);
    if (!call) throw new NotFoundError('No call with that id');
    const views = marks.map(markView);
    return {
      call,
      invites: invites.map(withoutTokenHash),
      participants: participants.map(withoutSessionHash),
      events,
      chat,
      recordings,
      snapshots,
      marks: views,
      /** RVR-13: which of the officer's "others present" buttons are on. */
      openMarks: views.filter((m) => !m.endedAt).map((m) => m.kind),
    };
  }

  /**
   * The call record (DP-01): for the consultation's officer, supervisors and investigators, and the reading is
   * logged. It shows the call, its recordings, snapshots, the officer's marks of others present (RVR-13) and timeline; not the officer's notes or the chat, which
   * are opened with a reason (`openNotesAndChat`). Items under a DP-10 restriction are left out, and no secret or
   * hash of a secret (link tokens, call sessions) is ever part of it.
   */
  async callRecord(context: RequestContext, callId: string) {
    return this.data.transaction(async (tx) => {
      const call = await tx.calls.findById(callId);
      if (!call) throw new NotFoundError('No call with that id');
      const consultation = (await tx.consultations.findById(call.consultationId))!;
      this.assertRecordReader(context, consultation, 'call.record_view');
      // One query at a time: a transaction is one connection, and pg refuses overlapping queries on a client (pg@9).
      const invites = await tx.calls.listInvites(callId);
      const participants = await tx.calls.listParticipants(callId);
      const events = await tx.calls.listEvents(callId);
      const chat = await tx.calls.listChat(callId);
      const recordings = await tx.recordings.listByCall(callId);
      const snapshots = await tx.recordings.listSnapshots(callId);
      const items = await tx.evidence.listByConsultation(call.consultationId);
      const marks = await tx.collateralMarks.listByCall(callId);
      // Issue 17 §1: the victim's location decisions and positions are part of the record; this reading is logged below.
      const locationDecisions = (await tx.victimLocations.listDecisionsByConsultation(call.consultationId)).filter((d) => d.callId === callId);
      const locations = await tx.victimLocations.listByCall(callId);
      const restricted = new Set(items.filter((i) => i.restrictedAt).map((i) => i.sourceId));
      await this.deps.audit.record(tx.audit, context, {
        what: 'call.record_viewed',
        subject: `call:${callId}`,
        ...(locations.length > 0 ? { details: { victimLocationsShown: locations.length } } : {}),
      });
      const { officerNotes, ...rest } = call;
      const shownRecordings = recordings.filter((r) => !restricted.has(`recording:${r.id}`));
      // RVR-13: each mark of others present, with where it falls in each recording (seconds from its media start, EVD-05).
      const inRecordings = shownRecordings.map((r) => ({ recording: r, ranges: marksInRecording(marks, r) }));
      return {
        consultation,
        call: rest,
        invites: invites.map(withoutTokenHash),
        participants: participants.map(withoutSessionHash),
        events,
        recordings: shownRecordings,
        marks: marks.map((mark) => ({
          ...markView(mark),
          inRecordings: inRecordings.flatMap(({ recording, ranges }) =>
            ranges
              .filter((range) => range.id === mark.id)
              .map((range) => ({
                recordingId: recording.id,
                role: recording.role,
                segment: recording.segment,
                startSeconds: range.startSeconds,
                endSeconds: range.endSeconds,
              })),
          ),
        })),
        snapshots: snapshots.filter((s) => !restricted.has(`snapshot:${s.id}`)),
        location: { decisions: locationDecisions, positions: locations },
        text: {
          notes: textState(Boolean(officerNotes?.trim()), restricted.has(`notes:${callId}`)),
          chat: textState(chat.length > 0, restricted.has(`chat:${callId}`)),
        },
      };
    });
  }

  /**
   * The officer's notes and the chat transcript of a call, opened with a justification that is logged with the
   * reading (DP-01, DP-04). A part under a DP-10 restriction is withheld, whoever asks.
   */
  async openNotesAndChat(context: RequestContext, callId: string, justificationInput: string) {
    const justification = justificationInput.trim();
    if (justification.length < 5 || justification.length > 1000)
      throw new ValidationError('Say why you need to read the notes and messages (5 to 1000 characters)', {
        justification: 'Say why you need to read the notes and messages (5 to 1000 characters)',
      });
    return this.data.transaction(async (tx) => {
      const call = await tx.calls.findById(callId);
      if (!call) throw new NotFoundError('No call with that id');
      const consultation = (await tx.consultations.findById(call.consultationId))!;
      this.assertRecordReader(context, consultation, 'call.notes_and_chat_view');
      const items = await tx.evidence.listByConsultation(call.consultationId);
      const isRestricted = (kind: 'notes' | 'chat') => items.some((i) => i.sourceId === `${kind}:${callId}` && i.restrictedAt);
      const notes = isRestricted('notes') ? null : call.officerNotes?.trim() ? call.officerNotes : null;
      const chat: ChatMessageRow[] = isRestricted('chat') ? [] : await tx.calls.listChat(callId);
      const withheld = (['notes', 'chat'] as const).filter(isRestricted);
      await this.deps.audit.record(tx.audit, context, {
        what: 'call.notes_and_chat_viewed',
        subject: `call:${callId}`,
        justification,
        details: { consultationId: consultation.id, notes: notes !== null, chatMessages: chat.length, withheld },
      });
      return { notes, chat: chat.map((m) => ({ at: m.at, role: m.role, text: m.text })), withheld };
    });
  }

  private assertRecordReader(context: RequestContext, consultation: { id: string; officerId: string | null }, action: string): void {
    if (context.actor.type !== 'user') throw new ForbiddenError('Sign in to read a call record');
    const may = mayReadConsultationRecord({ userId: context.actor.userId, roles: context.actor.roles }, consultation.officerId);
    if (!may.allowed) throw new AccessRefusedError(may.message, { subject: `consultation:${consultation.id}`, action, reason: may.refusal });
  }
}

/** A link's token is a secret: not even its hash leaves the service (issue 12). */
function withoutTokenHash({ tokenHash: _hash, ...invite }: InviteRow): Omit<InviteRow, 'tokenHash'> {
  return invite;
}

/** A link-holder's call session is a secret too. */
function withoutSessionHash({ sessionHash: _hash, ...participant }: ParticipantRow): Omit<ParticipantRow, 'sessionHash'> {
  return participant;
}

function textState(exists: boolean, restricted: boolean): 'none' | 'available' | 'restricted' {
  return restricted ? 'restricted' : exists ? 'available' : 'none';
}
