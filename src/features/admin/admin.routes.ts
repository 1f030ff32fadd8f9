import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Services } from '../../composition.js';
import { ROLE_LABELS, ROLES, type Role } from '../../domain/roles.js';
import { parseRoles } from '../identity/user-admin.service.js';
import { AppError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { contextOf } from '../../platform/http/access.js';

const manage = { access: { permission: 'users.manage' } } as const;
const stringOrList = {
  anyOf: [
    { type: 'string', maxLength: 100 },
    { type: 'array', maxItems: 10, items: { type: 'string', maxLength: 100 } },
  ],
} as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;
const reasonBody = {
  type: 'object',
  required: ['reason'],
  properties: { reason: { type: 'string', maxLength: 1000 }, roles: stringOrList, _csrf: { type: 'string' } },
} as const;
const decisionBody = {
  type: 'object',
  required: ['reason'],
  properties: { reason: { type: 'string', maxLength: 1000 }, _csrf: { type: 'string' } },
} as const;
const createBody = {
  type: 'object',
  required: ['username', 'displayName', 'password'],
  properties: {
    username: { type: 'string', maxLength: 100 },
    displayName: { type: 'string', maxLength: 200 },
    password: { type: 'string', maxLength: 256 },
    roles: stringOrList,
    _csrf: { type: 'string' },
  },
} as const;
const listQuery = {
  type: 'object',
  properties: { role: { type: 'string', maxLength: 50 }, status: { type: 'string', enum: ['', 'active', 'disabled'] }, q: { type: 'string', maxLength: 100 } },
} as const;
const policyBody = {
  type: 'object',
  required: ['title', 'body'],
  properties: {
    title: { type: 'string', maxLength: 300 },
    body: { type: 'string', maxLength: 60000 },
    url: { type: 'string', maxLength: 2000 },
    _csrf: { type: 'string' },
  },
} as const;

const ROLE_ITEMS = ROLES.map((role) => ({ value: role, text: ROLE_LABELS[role] }));
const asList = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat());

/** Users, roles, second factors, sessions and the policy, each change audited with who and why. */
export function adminRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Querystring: { role?: string; status?: string; q?: string } }>(
      '/admin',
      { config: manage, schema: { querystring: listQuery } },
      async (request, reply) => {
        const [users, training, roleRequests, clock] = await Promise.all([
          services.users.list(),
          services.policy.acknowledgementsOfCurrent(),
          services.userAdmin.pendingRoleGrants(),
          // EVD-05, SC-11: the administrator sees a drifting clock.
          services.clock.current(),
        ]);
        const { role, status, q } = request.query;
        const needle = q?.trim().toLowerCase();
        const shown = users.filter(
          (u) =>
            (!role || u.roles.includes(role as Role)) &&
            (!status || (status === 'disabled' ? !!u.disabledAt : !u.disabledAt)) &&
            (!needle || u.username.includes(needle) || u.displayName.toLowerCase().includes(needle)),
        );
        return reply.view('admin/users.njk', {
          pageTitle: 'Administration',
          users: shown.map((u) => ({ ...u, acknowledgedAt: training.acknowledged.get(u.id) })),
          total: users.length,
          policy: training.version,
          filter: { role: role ?? '', status: status ?? '', q: q ?? '' },
          roleItems: ROLE_ITEMS,
          roleRequests,
          clock,
        });
      },
    );

    app.get('/admin/users/new', { config: manage }, async (_request, reply) =>
      reply.view('admin/user-new.njk', { pageTitle: 'Add a user', roleItems: ROLE_ITEMS, values: {} }),
    );

    app.post<{ Body: { username: string; displayName: string; password: string; roles?: string | string[] } }>(
      '/admin/users/new',
      { config: manage, schema: { body: createBody } },
      async (request, reply) => {
        const values = { ...request.body, password: '', roles: asList(request.body.roles) };
        try {
          const roles = values.roles.length > 0 ? parseRoles(values.roles) : [];
          const { username, displayName, password } = request.body;
          const user = await services.userAdmin.create(contextOf(request), { username, displayName, password, roles });
          return reply.redirect(`/admin/users/${user.id}`, 303);
        } catch (error) {
          return showFormError(reply, error, 'admin/user-new.njk', { pageTitle: 'Add a user', roleItems: ROLE_ITEMS, values });
        }
      },
    );

    app.get<{ Params: { id: string } }>('/admin/users/:id', { config: manage, schema: { params: idParams } }, async (request, reply) => {
      return reply.view('admin/user.njk', await userPage(services, request.params.id));
    });

    const action = (
      path: string,
      run: (
        context: ReturnType<typeof contextOf>,
        user: { id: string; username: string },
        body: { reason: string; roles?: string | string[] },
      ) => Promise<unknown>,
    ) =>
      app.post<{ Params: { id: string }; Body: { reason: string; roles?: string | string[] } }>(
        `/admin/users/:id/${path}`,
        // SEC-07: changing someone's roles needs a fresh step-up.
        { config: path === 'roles' ? { ...manage, stepUp: true } : manage, schema: { params: idParams, body: reasonBody } },
        async (request, reply) => {
          const user = await services.userAdmin.find(request.params.id);
          if (!user) throw new NotFoundError('No such user');
          try {
            if (!request.body.reason.trim()) throw new ValidationError('Give a reason for this change', { reason: 'Give a reason for this change' });
            await run(contextOf(request), user, request.body);
            return reply.redirect(`/admin/users/${user.id}`, 303);
          } catch (error) {
            return showFormError(reply, error, 'admin/user.njk', { ...(await userPage(services, user.id)), failedAction: path });
          }
        },
      );
    action('roles', (context, user, body) => services.userAdmin.setRoles(context, user.username, parseRoles(asList(body.roles)), body.reason));
    action('disable', (context, user, body) => services.userAdmin.disable(context, user.username, body.reason));
    action('enable', (context, user, body) => services.userAdmin.enable(context, user.username, body.reason));
    action('reset-mfa', (context, user, body) => services.mfa.reset(context, user.id, body.reason));
    action('end-sessions', (context, user, body) => services.auth.endAllSessions(context, user.id, body.reason));

    // Issue 12 item 6: a second administrator approves or refuses a role grant (the requester may only withdraw it).
    for (const decision of ['approve', 'refuse'] as const) {
      app.post<{ Params: { id: string }; Body: { reason: string } }>(
        `/admin/role-requests/:id/${decision}`,
        // SEC-07: approving a role grant changes roles, so it needs a fresh step-up.
        { config: decision === 'approve' ? { ...manage, stepUp: true } : manage, schema: { params: idParams, body: decisionBody } },
        async (request, reply) => {
          const context = contextOf(request);
          const decided =
            decision === 'approve'
              ? await services.userAdmin.approveRoleGrant(context, request.params.id, request.body.reason)
              : await services.userAdmin.refuseRoleGrant(context, request.params.id, request.body.reason);
          return reply.redirect(`/admin/users/${decided.userId}`, 303);
        },
      );
    }

    app.get('/admin/policy', { config: { access: { permission: 'policy.publish' } } }, async (_request, reply) => {
      return reply.view('admin/policy.njk', { pageTitle: 'RVR policy', current: await services.policy.current(), values: {} });
    });

    app.post<{ Body: { title: string; body: string; url?: string } }>(
      '/admin/policy',
      { config: { access: { permission: 'policy.publish' } }, schema: { body: policyBody } },
      async (request, reply) => {
        try {
          await services.policy.publish(contextOf(request), { title: request.body.title, body: request.body.body, url: request.body.url ?? '' });
          return reply.redirect('/admin', 303);
        } catch (error) {
          return showFormError(reply, error, 'admin/policy.njk', { pageTitle: 'RVR policy', current: await services.policy.current(), values: request.body });
        }
      },
    );
  };
}

async function userPage(services: Services, userId: string) {
  const user = await services.userAdmin.find(userId);
  if (!user) throw new NotFoundError('No such user');
  const [sessions, training, roleRequests] = await Promise.all([
    services.auth.listSessions(user.id),
    services.policy.acknowledgementsOfCurrent(),
    services.userAdmin.roleGrantsFor(user.id),
  ]);
  return {
    pageTitle: user.displayName,
    subject: user,
    roleRequests,
    sessions,
    policy: training.version,
    acknowledgedAt: training.acknowledged.get(user.id),
    roleItems: ROLE_ITEMS,
  };
}

/** A refused form: show it again with the reason and what was typed (4xx), never a 500. */
function showFormError(reply: FastifyReply, error: unknown, template: string, data: Record<string, unknown>) {
  if (!(error instanceof AppError) || error.statusCode === 404 || error.statusCode === 403) throw error;
  const errors = Object.keys(error.fieldErrors).length > 0 ? error.fieldErrors : { form: error.message };
  return reply
    .code(error.statusCode)
    .view(template, { ...data, errors, errorList: Object.entries(errors).map(([field, text]) => ({ text, href: `#${field}` })) });
}
