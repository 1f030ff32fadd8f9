import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../composition.js';
import { AccessRefusedError, ValidationError } from '../../platform/errors.js';
import { contextOf, wantsJson } from '../../platform/http/access.js';
import { normaliseUkMobile } from '../../domain/phone.js';
import { COLLATERAL_MARK_KINDS, COLLATERAL_MARK_LABELS } from '../../domain/collateral-marks.js';

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
const markBody = {
  type: 'object',
  required: ['kind', 'on'],
  properties: { kind: { type: 'string', enum: [...COLLATERAL_MARK_KINDS] }, on: { type: 'boolean' }, _csrf: { type: 'string' } },
} as const;
const openTextBody = {
  type: 'object',
  required: ['justification'],
  properties: { justification: { type: 'string', maxLength: 1000 }, _csrf: { type: 'string' } },
} as const;
const csrfOnlyBody = { type: 'object', properties: { _csrf: { type: 'string' } } } as const;
const endBody = { type: 'object', properties: { reason: { type: 'string', maxLength: 500 }, _csrf: { type: 'string' } } } as const;

/** The officer's side of the video call: the call page, links, snapshots, notes, ending, and the signalling socket. */
export function callRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: { id: string } }>(
      '/consultations/:id/call',
      { config: { access: { permission: 'call.conduct' } }, schema: { params: consultationParams } },
      async (request, reply) => {
        // Draining for a restart (ADR 0012): a call already live here may be rejoined; a new one is refused with a 503.
        services.callRooms.assertMayOpen((await services.calls.lifecycle.findOpenCall(request.params.id))?.id);
        const call = await services.calls.lifecycle.openCall(contextOf(request), request.params.id);
        const consultation = await services.consultations.summary(request.params.id);
        const view = await services.calls.record.callView(call.id);
        const riskPanel = await services.riskAssessments.panel(contextOf(request), consultation.id);
        return reply.view('video/officer-call.njk', {
          pageTitle: `Video call ${consultation.reference}`,
          consultation,
          ...view,
          riskPanel,
          markKinds: COLLATERAL_MARK_LABELS,
        });
      },
    );

    // Issue 18: "Resume the call" after it was interrupted: a new call (a new recording segment) the victim rejoins
    // with the link session they still hold; a new link is texted only if the old one cannot be used.
    app.post<{ Params: { id: string } }>(
      '/consultations/:id/call/resume',
      { config: { access: { permission: 'call.conduct' } }, schema: { params: consultationParams, body: csrfOnlyBody } },
      async (request, reply) => {
        const resumed = await services.calls.resume.resume(contextOf(request), request.params.id);
        const callUrl = `/consultations/${request.params.id}/call`;
        if (wantsJson(request)) return { callId: resumed.call.id, callUrl, newLink: resumed.newLink, linkError: resumed.linkError ?? null };
        return reply.redirect(callUrl, 303);
      },
    );

    // The call record follows the investigation record's rule (DP-01): the consultation's officer, supervisors and
    // investigators, each reading logged; the notes and chat are opened with a reason (POST below).
    app.get<{ Params: { id: string } }>(
      '/calls/:id',
      { config: { access: { permission: 'investigation.view' }, caseOf: 'call' }, schema: { params: callParams } },
      async (request, reply) => {
        const record = await services.calls.record.callRecord(contextOf(request), request.params.id);
        if (wantsJson(request)) return record;
        return reply.view('video/call-record.njk', { pageTitle: `Call record ${record.consultation.reference}`, ...record });
      },
    );

    app.post<{ Params: { id: string }; Body: { justification: string } }>(
      '/calls/:id/record',
      { config: { access: { permission: 'investigation.view' }, caseOf: 'call' }, schema: { params: callParams, body: openTextBody } },
      async (request, reply) => {
        const context = contextOf(request);
        try {
          const text = await services.calls.record.openNotesAndChat(context, request.params.id, request.body.justification);
          if (wantsJson(request)) return text;
          const record = await services.calls.record.callRecord(context, request.params.id);
          return reply.view('video/call-record.njk', {
            pageTitle: `Call record ${record.consultation.reference}`,
            ...record,
            opened: text,
            justification: request.body.justification,
          });
        } catch (error) {
          if (wantsJson(request) || !(error instanceof ValidationError)) throw error;
          const record = await services.calls.record.callRecord(context, request.params.id);
          return reply.code(400).view('video/call-record.njk', {
            pageTitle: `Call record ${record.consultation.reference}`,
            ...record,
            errors: error.fieldErrors,
            justification: request.body.justification,
          });
        }
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
        const { invite } = await services.calls.links.sendInvite(contextOf(request), request.params.id, {
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
        await services.calls.links.revokeInvites(contextOf(request), request.params.id, request.body.role);
        return { revoked: true };
      },
    );

    app.post<{ Params: { id: string }; Body: { notes: string } }>(
      '/calls/:id/notes',
      { config: { access: { permission: 'call.conduct' } }, schema: { params: callParams, body: notesBody } },
      async (request) => {
        await services.calls.chat.saveNotes(contextOf(request), request.params.id, request.body.notes);
        return { saved: true };
      },
    );

    app.post<{ Params: { id: string }; Body: { image: string } }>(
      '/calls/:id/snapshots',
      { config: { access: { permission: 'call.conduct' } }, bodyLimit: 12 * 1024 * 1024, schema: { params: callParams, body: snapshotBody } },
      async (request, reply) => {
        const image = Buffer.from(request.body.image.slice(request.body.image.indexOf(',') + 1), 'base64');
        const snapshot = await services.calls.snapshots.saveSnapshot(contextOf(request), request.params.id, image);
        return reply.code(201).send({
          snapshot: { id: snapshot.id, sha256: snapshot.sha256, sizeBytes: snapshot.sizeBytes, mediaType: snapshot.mediaType, takenAt: snapshot.takenAt },
        });
      },
    );

    // RVR-13 (collateral intrusion): the officer marks, one tap to start and one to end, that a child or another adult
    // is in view or hearing, or that the victim's face is not to be shown. The call's officer only, while it is live.
    app.post<{ Params: { id: string }; Body: { kind: string; on: boolean } }>(
      '/calls/:id/marks',
      { config: { access: { permission: 'call.conduct' } }, schema: { params: callParams, body: markBody } },
      async (request) => {
        const marks = await services.calls.marks.mark(contextOf(request), request.params.id, request.body.kind, request.body.on);
        return { marks, open: marks.filter((m) => !m.endedAt).map((m) => m.kind) };
      },
    );

    app.post<{ Params: { id: string }; Body: { reason?: string } }>(
      '/calls/:id/end',
      { config: { access: { permission: 'call.conduct' } }, schema: { params: callParams, body: endBody } },
      async (request) => {
        // Only the consultation's officer: CallRooms asks the service before any media is touched.
        await services.callRooms.endCall(contextOf(request), request.params.id, request.body.reason?.trim() || 'Ended by the officer');
        return { ended: true };
      },
    );

    app.get<{ Params: { id: string } }>(
      '/calls/:id/socket',
      { websocket: true, config: { access: { permission: 'call.conduct' } }, schema: { params: callParams } },
      async (socket, request) => {
        const context = contextOf(request);
        try {
          const participant = await services.calls.lifecycle.staffParticipant(context, request.params.id, 'officer');
          await services.callSockets.connect(socket, participant, context);
        } catch (error) {
          if (error instanceof AccessRefusedError) await services.accessRefusals.record(context, error);
          socket.send(JSON.stringify({ type: 'error', message: (error as Error).message }));
          socket.close(4003, 'refused');
        }
      },
    );

    // ADR 0013: a web node opens the call's socket here, on the owning media node, with a signed short-lived grant
    // (the grant is the authentication: the web node's request guard has already checked the person).
    app.get<{ Querystring: { grant: string } }>(
      '/internal/call-socket',
      {
        websocket: true,
        config: { access: 'public' },
        schema: { querystring: { type: 'object', required: ['grant'], properties: { grant: { type: 'string', maxLength: 4096 } } } },
      },
      async (socket, request) => {
        try {
          await services.callSockets.acceptGranted(socket, request.query.grant);
        } catch (error) {
          socket.send(JSON.stringify({ type: 'error', message: (error as Error).message }));
          socket.close(4003, 'refused');
        }
      },
    );

    // ADR 0013: a photo sent or "Exit this page" that reached another web node, passed on to the owning node so the
    // officer's page is alerted. The signed grant in the body is the credential (no cookie, so no CSRF token).
    app.post<{ Body: { grant: string } }>(
      '/internal/call-alert',
      {
        config: { access: 'public', signedGrantInBody: true, rateLimit: { max: 600, timeWindow: '1 minute' } },
        schema: {
          body: { type: 'object', required: ['grant'], additionalProperties: false, properties: { grant: { type: 'string', maxLength: 4096 } } },
        },
      },
      async (request, reply) => {
        const outcome = await services.callSockets.acceptAlert(request.body.grant);
        return outcome === 'accepted' ? reply.code(204).send() : reply.code(403).send({ error: 'This alert grant is not valid here.' });
      },
    );
  };
}
