import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../composition.js';
import { ValidationError } from '../../platform/errors.js';
import { contextOf, wantsJson } from '../../platform/http/access.js';
import { normaliseUkMobile } from '../../domain/phone.js';

const consultationParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;
const callParams = consultationParams;
const inviteBody = {
  type: 'object',
  required: ['role'],
  properties: {
    role: { type: 'string', enum: ['victim', 'interpreter'] },
    phone: { type: 'string', maxLength: 40 },
    label: { type: 'string', maxLength: 100 },
    _csrf: { type: 'string' },
  },
} as const;
const revokeBody = {
  type: 'object',
  required: ['role'],
  properties: { role: { type: 'string', enum: ['victim', 'interpreter'] }, _csrf: { type: 'string' } },
} as const;
const notesBody = { type: 'object', required: ['notes'], properties: { notes: { type: 'string', maxLength: 20000 }, _csrf: { type: 'string' } } } as const;
const snapshotBody = {
  type: 'object',
  required: ['image'],
  properties: { image: { type: 'string', maxLength: 8 * 1024 * 1024, pattern: '^data:image/(jpeg|png);base64,' }, _csrf: { type: 'string' } },
} as const;
const endBody = { type: 'object', properties: { reason: { type: 'string', maxLength: 500 }, _csrf: { type: 'string' } } } as const;

/** The officer's side of the video call: the call page, links, snapshots, notes, ending, and the signalling socket. */
export function callRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: { id: string } }>(
      '/consultations/:id/call',
      { config: { access: { permission: 'call.conduct' } }, schema: { params: consultationParams } },
      async (request, reply) => {
        const call = await services.calls.openCall(contextOf(request), request.params.id);
        const consultation = await services.consultations.summary(request.params.id);
        const view = await services.calls.callView(call.id);
        const riskPanel = await services.riskAssessments.panel(contextOf(request), consultation.id);
        return reply.view('video/officer-call.njk', { pageTitle: `Video call ${consultation.reference}`, consultation, ...view, riskPanel });
      },
    );

    app.get<{ Params: { id: string } }>(
      '/calls/:id',
      { config: { access: { permission: 'consultation.view' } }, schema: { params: callParams } },
      async (request, reply) => {
        const view = await services.calls.callView(request.params.id);
        const consultation = await services.consultations.summary(view.call.consultationId);
        if (wantsJson(request)) return view;
        return reply.view('video/call-record.njk', { pageTitle: `Call record ${consultation.reference}`, consultation, ...view });
      },
    );

    app.post<{ Params: { id: string }; Body: { role: 'victim' | 'interpreter'; phone?: string; label?: string } }>(
      '/calls/:id/invites',
      { config: { access: { permission: 'call.conduct' } }, schema: { params: callParams, body: inviteBody } },
      async (request) => {
        let phone: string | undefined;
        if (request.body.role === 'interpreter') {
          const parsed = normaliseUkMobile(request.body.phone ?? '');
          if (!parsed.ok) throw new ValidationError(parsed.problem, { phone: parsed.problem });
          phone = parsed.e164;
        }
        const { invite } = await services.calls.sendInvite(contextOf(request), request.params.id, {
          role: request.body.role,
          phone,
          label: request.body.label,
        });
        return { invite: { id: invite.id, role: invite.role, sentAt: invite.sentAt, expiresAt: invite.expiresAt } };
      },
    );

    app.post<{ Params: { id: string }; Body: { role: 'victim' | 'interpreter' } }>(
      '/calls/:id/invites/revoke',
      { config: { access: { permission: 'call.conduct' } }, schema: { params: callParams, body: revokeBody } },
      async (request) => {
        await services.calls.revokeInvites(contextOf(request), request.params.id, request.body.role);
        return { revoked: true };
      },
    );

    app.post<{ Params: { id: string }; Body: { notes: string } }>(
      '/calls/:id/notes',
      { config: { access: { permission: 'call.conduct' } }, schema: { params: callParams, body: notesBody } },
      async (request) => {
        await services.calls.saveNotes(contextOf(request), request.params.id, request.body.notes);
        return { saved: true };
      },
    );

    app.post<{ Params: { id: string }; Body: { image: string } }>(
      '/calls/:id/snapshots',
      { config: { access: { permission: 'call.conduct' } }, bodyLimit: 12 * 1024 * 1024, schema: { params: callParams, body: snapshotBody } },
      async (request, reply) => {
        const image = Buffer.from(request.body.image.slice(request.body.image.indexOf(',') + 1), 'base64');
        const snapshot = await services.calls.saveSnapshot(contextOf(request), request.params.id, image);
        return reply.code(201).send({
          snapshot: { id: snapshot.id, sha256: snapshot.sha256, sizeBytes: snapshot.sizeBytes, mediaType: snapshot.mediaType, takenAt: snapshot.takenAt },
        });
      },
    );

    app.post<{ Params: { id: string }; Body: { reason?: string } }>(
      '/calls/:id/end',
      { config: { access: { permission: 'call.conduct' } }, schema: { params: callParams, body: endBody } },
      async (request) => {
        const call = await services.calls.requireCall(request.params.id);
        const consultation = await services.consultations.summary(call.consultationId);
        if (consultation.officerId !== request.user!.id) throw new ValidationError('Only the officer who accepted this consultation can end its call.');
        await services.callRooms.endCall(contextOf(request), call.id, request.body.reason?.trim() || 'Ended by the officer');
        return { ended: true };
      },
    );

    app.get<{ Params: { id: string } }>(
      '/calls/:id/socket',
      { websocket: true, config: { access: { permission: 'call.conduct' } }, schema: { params: callParams } },
      async (socket, request) => {
        try {
          const context = contextOf(request);
          const participant = await services.calls.staffParticipant(context, request.params.id, 'officer');
          services.callRooms.attach(socket, participant, context);
        } catch (error) {
          socket.send(JSON.stringify({ type: 'error', message: (error as Error).message }));
          socket.close(4003, 'refused');
        }
      },
    );
  };
}
