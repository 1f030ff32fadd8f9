import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Services } from '../../composition.js';
import { AppError } from '../../platform/errors.js';
import { contextOf } from '../../platform/http/access.js';

const manage = { access: { permission: 'users.manage' } } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;
const proposeBody = {
  type: 'object',
  required: ['userId'],
  properties: { userId: { type: 'string', maxLength: 40 }, note: { type: 'string', maxLength: 2000 }, _csrf: { type: 'string' } },
} as const;
const trainingBody = {
  type: 'object',
  properties: {
    course: { type: 'string', maxLength: 60 },
    completedOn: { type: 'string', maxLength: 20 },
    expiresOn: { type: 'string', maxLength: 20 },
    _csrf: { type: 'string' },
  },
} as const;
const answerBody = {
  type: 'object',
  required: ['answer'],
  properties: { answer: { type: 'string', enum: ['accept', 'decline'] }, _csrf: { type: 'string' } },
} as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Issue 16 §3: the administrator's governance page (system owner, SC-4; purposes, SC-1; marking, SEC-05; everyone's
 * training status, SC-8), each user's training records, and the nominee's answer to a system-owner nomination.
 */
export function governanceRoutes(services: Services): FastifyPluginAsync {
  const governance = services.governance;
  const names = async () => new Map((await services.users.list()).map((u) => [u.id, u]));

  const governancePage = async (extra: Record<string, unknown> = {}) => {
    const [owner, users, overview] = [await governance.systemOwner(), await services.users.list(), await governance.trainingOverview()];
    const byId = new Map(users.map((u) => [u.id, u]));
    const nameOf = (id: string | null | undefined) => (id ? (byId.get(id)?.displayName ?? 'Unknown user') : 'Nobody');
    return {
      pageTitle: 'System owner and training',
      settings: governance.settings,
      owner: owner.current ? { ...owner.current, name: nameOf(owner.current.userId) } : undefined,
      pending: owner.pending ? { ...owner.pending, name: nameOf(owner.pending.userId), proposedByName: nameOf(owner.pending.proposedBy) } : undefined,
      history: owner.history.map((a) => ({ ...a, name: nameOf(a.userId), proposedByName: nameOf(a.proposedBy) })),
      userItems: users.filter((u) => !u.disabledAt).map((u) => ({ value: u.id, text: `${u.displayName} (${u.username})` })),
      staff: users
        .filter((u) => !u.disabledAt && u.roles.includes('rvr_officer'))
        .map((u) => ({ id: u.id, displayName: u.displayName, username: u.username, status: overview.get(u.id) })),
      values: {},
      ...extra,
    };
  };

  const trainingPage = async (userId: string, extra: Record<string, unknown> = {}) => {
    const subject = (await names()).get(userId);
    if (!subject) return undefined;
    const { records, status } = await governance.training(userId);
    return {
      pageTitle: `Training: ${subject.displayName}`,
      subject,
      records,
      status,
      courses: governance.courses,
      courseItems: governance.courses.map((c) => ({ value: c.code, text: c.label })),
      values: {},
      ...extra,
    };
  };

  return async (app) => {
    app.get('/admin/governance', { config: manage }, async (_request, reply) => reply.view('governance/governance.njk', await governancePage()));

    app.post<{ Body: { userId: string; note?: string } }>(
      '/admin/governance/system-owner',
      { config: manage, schema: { body: proposeBody } },
      async (request, reply) => {
        try {
          const userId = UUID.test(request.body.userId) ? request.body.userId : '00000000-0000-0000-0000-000000000000';
          await governance.proposeOwner(contextOf(request), { userId, note: request.body.note });
          return reply.redirect('/admin/governance', 303);
        } catch (error) {
          return formError(reply, error, 'governance/governance.njk', await governancePage({ values: request.body }));
        }
      },
    );

    app.get<{ Params: { id: string } }>('/admin/users/:id/training', { config: manage, schema: { params: idParams } }, async (request, reply) => {
      const page = await trainingPage(request.params.id);
      if (!page) return reply.callNotFound();
      return reply.view('governance/training.njk', page);
    });

    app.post<{ Params: { id: string }; Body: { course?: string; completedOn?: string; expiresOn?: string } }>(
      '/admin/users/:id/training',
      { config: manage, schema: { params: idParams, body: trainingBody } },
      async (request, reply) => {
        try {
          await governance.recordTraining(contextOf(request), request.params.id, request.body);
          return reply.redirect(`/admin/users/${request.params.id}/training`, 303);
        } catch (error) {
          const page = await trainingPage(request.params.id, { values: request.body });
          if (!page) throw error;
          return formError(reply, error, 'governance/training.njk', page);
        }
      },
    );

    // SC-4: the nominee answers on their own account page; only they can (refused and audited otherwise).
    app.post<{ Params: { id: string }; Body: { answer: 'accept' | 'decline' } }>(
      '/account/system-owner/:id',
      { config: { access: 'signed_in' }, schema: { params: idParams, body: answerBody } },
      async (request, reply) => {
        await governance.answerOwnership(contextOf(request), request.params.id, request.body.answer);
        return reply.redirect('/account', 303);
      },
    );
  };
}

function formError(reply: FastifyReply, error: unknown, template: string, data: Record<string, unknown>) {
  if (!(error instanceof AppError) || error.statusCode === 404 || error.statusCode === 403) throw error;
  const errors = Object.keys(error.fieldErrors).length > 0 ? error.fieldErrors : { form: error.message };
  return reply
    .code(error.statusCode)
    .view(template, { ...data, errors, errorList: Object.entries(errors).map(([field, text]) => ({ text, href: `#${field}` })) });
}
