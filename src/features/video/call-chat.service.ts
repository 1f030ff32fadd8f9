import type { RequestContext } from '../../platform/context.js';
import { ValidationError } from '../../platform/errors.js';
import { assertAssignedOfficer, assertConsented, lockOpenCall, type CallDeps } from './call.service.js';
import type { ParticipantRow } from './calls.repository.js';

/** What is written during a call: the chat between its participants, and the officer's notes. */
export class CallChatService {
  constructor(private readonly deps: Pick<CallDeps, 'data' | 'audit' | 'now'>) {}

  private get data() {
    return this.deps.data;
  }

  async postChat(context: RequestContext, participant: ParticipantRow, text: string) {
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.length > 2000)
      throw new ValidationError('A message must have between 1 and 2000 characters').forVictim('server.call.chatLength');
    return this.data.transaction(async (tx) => {
      await lockOpenCall(tx, participant.callId);
      await assertConsented(tx, participant);
      const message = await tx.calls.insertChat({
        callId: participant.callId,
        participantId: participant.id,
        role: participant.role,
        text: trimmed,
        at: this.deps.now(),
      });
      await this.deps.audit.record(tx.audit, context, { what: 'call.chat_message', subject: `call:${participant.callId}`, details: { messageId: message.id } });
      return message;
    });
  }

  async saveNotes(context: RequestContext, callId: string, notes: string): Promise<void> {
    if (notes.length > 20_000) throw new ValidationError('Notes must be 20,000 characters or fewer', { notes: 'Notes must be 20,000 characters or fewer' });
    await this.data.transaction(async (tx) => {
      const call = await lockOpenCall(tx, callId);
      const consultation = (await tx.consultations.findById(call.consultationId))!;
      assertAssignedOfficer(context, consultation, 'call.notes');
      await tx.calls.saveNotes(callId, notes, this.deps.now());
      await this.deps.audit.record(tx.audit, context, { what: 'call.notes_saved', subject: `call:${callId}`, details: { length: notes.length } });
    });
  }
}
