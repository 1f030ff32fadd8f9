import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { AuthService } from '../../src/features/identity/auth.service.js';
import { hashPassword } from '../../src/platform/auth/password.js';
import { DEMO_PASSWORD } from '../../src/platform/auth/password-policy.js';
import { ConflictError } from '../../src/platform/errors.js';
import { describeOnDatabase } from '../support/databases.js';
import { Browser, buildTestApp, cliContext, contextFor, createUser, type TestApp } from '../support/test-app.js';

// Issue 12 item 6 (SEC-11): evidence, DPO, admin and Professional Standards roles need a second administrator;
// the service never has no active administrator; the published demo password is never a real account's.
await describeOnDatabase('role grants need a second administrator, and the last administrator stays', (kind) => {
  let t: TestApp;
  before(async () => {
    t = await buildTestApp(kind);
  });
  after(() => t.close());

  const signedIn = async (username: string, password?: string) => {
    const browser = new Browser(t.app);
    assert.equal((await browser.signIn(username, password)).statusCode, 303);
    await browser.get('/admin');
    return browser;
  };
  const user = async (username: string) => (await t.services.data.repos.users.findByUsername(username))!;
  const rolesOf = async (username: string) => (await user(username)).roles;
  const audited = async (what: string, userId: string) => t.services.data.repos.audit.search({ what, subject: `user:${userId}` }, 20);
  const pendingFor = async (username: string) => (await t.services.userAdmin.roleGrantsFor((await user(username)).id)).filter((r) => r.state === 'pending');
  /** Sets roles through the form, with repeated `roles` fields as a browser sends ticked boxes. */
  const setRoles = async (browser: Browser, userId: string, roles: string[], reason: string) => {
    // SEC-07: changing roles needs a fresh step-up.
    await browser.stepUp();
    const form = new URLSearchParams([['_csrf', browser.csrfToken], ['reason', reason], ...roles.map((r) => ['roles', r])]);
    return t.app.inject({
      method: 'POST',
      url: `/admin/users/${userId}/roles`,
      payload: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: browser.cookieHeader },
    });
  };

  describe('with one administrator', () => {
    it('the only administrator cannot give themselves DPO, evidence, admin or Professional Standards roles: each waits for approval', async () => {
      const alone = await createUser(t.services, 'solo.admin', ['admin']);
      const browser = await signedIn('solo.admin');
      const answer = await setRoles(browser, alone.id, ['admin', 'dpo', 'evidence_manager', 'professional_standards', 'supervisor'], 'covering the DPO');
      assert.equal(answer.statusCode, 303);
      assert.deepEqual(await rolesOf('solo.admin'), ['admin', 'supervisor'], 'only the ordinary role took effect');
      assert.deepEqual((await pendingFor('solo.admin')).map((r) => r.role).sort(), ['dpo', 'evidence_manager', 'professional_standards']);
      assert.equal((await audited('user.role_grant_requested', alone.id)).length, 3);
      const page = await browser.get(`/admin/users/${alone.id}`);
      assert.match(page.body, /Waiting for another administrator to approve it/);
      assert.doesNotMatch(page.body, /Approve and give the role/, 'the requester is not offered approval');
    });

    it('the requester cannot approve their own request (403, audited); they may withdraw it', async () => {
      const alone = await user('solo.admin');
      const browser = await signedIn('solo.admin');
      const [request] = await pendingFor('solo.admin');
      await browser.stepUp();
      const approve = await browser.post(
        `/admin/role-requests/${request!.id}/approve`,
        { reason: 'I approve myself' },
        { headers: { accept: 'application/json' } },
      );
      assert.equal(approve.statusCode, 403);
      assert.match(approve.body, /another administrator must approve it/);
      assert.deepEqual(await rolesOf('solo.admin'), ['admin', 'supervisor']);
      const [refusal] = await audited('user.role_grant_approval_refused', alone.id);
      assert.equal((refusal!.details as { requestId: string }).requestId, request!.id);
      assert.equal(refusal!.who, `user:${alone.id}`);
      assert.equal((await browser.post(`/admin/role-requests/${request!.id}/refuse`, { reason: ' ' })).statusCode, 400, 'a decision needs a reason');
      assert.equal((await browser.post(`/admin/role-requests/${request!.id}/refuse`, { reason: 'asked by mistake' })).statusCode, 303);
      const withdrawn = (await t.services.userAdmin.roleGrantsFor(alone.id)).find((r) => r.id === request!.id)!;
      assert.equal(withdrawn.state, 'withdrawn');
      assert.equal((await audited('user.role_grant_withdrawn', alone.id)).length, 1);
    });

    it('creating an account with an administrator role through the service also waits for approval', async () => {
      const browser = await signedIn('solo.admin');
      await browser.get('/admin/users/new');
      const created = await browser.post('/admin/users/new', {
        username: 'new.admin',
        displayName: 'New Admin',
        password: 'tangerine ladder mosaic 44',
        roles: 'admin',
        isDemo: 'true',
      });
      assert.equal(created.statusCode, 303);
      const made = await user('new.admin');
      assert.deepEqual(made.roles, []);
      assert.equal(made.isDemo, false, 'a form field cannot make a demo account');
      assert.deepEqual(
        (await pendingFor('new.admin')).map((r) => r.role),
        ['admin'],
      );
    });

    it('never leaves no active administrator: removing the role from, or disabling, the last one is a 409, audited', async () => {
      const alone = await user('solo.admin');
      const browser = await signedIn('solo.admin');
      const demote = await setRoles(browser, alone.id, ['supervisor'], 'stepping down');
      assert.equal(demote.statusCode, 409);
      assert.match(demote.body, /last active administrator/);
      assert.deepEqual(await rolesOf('solo.admin'), ['admin', 'supervisor']);
      const disable = await browser.post(`/admin/users/${alone.id}/disable`, { reason: 'leaving' });
      assert.equal(disable.statusCode, 409);
      assert.equal((await user('solo.admin')).disabledAt, null);
      // The server operator cannot do it either.
      await assert.rejects(t.services.userAdmin.disable(cliContext, 'solo.admin', 'by the operator'), ConflictError);
      await assert.rejects(t.services.userAdmin.setRoles(cliContext, 'solo.admin', ['dpo'], 'by the operator'), ConflictError);
      const refusals = await audited('user.change_refused', alone.id);
      assert.deepEqual(refusals.map((e) => (e.details as { attempted: string }).attempted).sort(), [
        'disable',
        'disable',
        'remove_admin_role',
        'remove_admin_role',
      ]);
      assert.ok(refusals.every((e) => (e.details as { reason: string }).reason === 'last_active_administrator'));
    });
  });

  describe('with a second administrator', () => {
    it('break-glass: the operator’s CLI gives the administrator role directly, audited as the operator', async () => {
      const second = await createUser(t.services, 'second.admin', ['call_handler']);
      const solo = await signedIn('solo.admin');
      assert.equal((await setRoles(solo, second.id, ['call_handler', 'admin'], 'second administrator')).statusCode, 303);
      const [asked] = await pendingFor('second.admin');
      assert.equal(asked!.role, 'admin', 'waiting for a second administrator, of whom there is none yet');
      await t.services.userAdmin.setRoles(cliContext, 'second.admin', ['admin'], 'second administrator for the two-person rule');
      assert.deepEqual(await rolesOf('second.admin'), ['admin']);
      const [changed] = await audited('user.roles_changed', second.id);
      assert.equal(changed!.who, 'cli:test');
      assert.equal(changed!.actorRole, 'operator');
      assert.deepEqual((changed!.details as { settledRequests: string[] }).settledRequests, [asked!.id]);
      assert.deepEqual(await pendingFor('second.admin'), [], 'the request is settled by the direct grant');
      assert.equal((await t.services.userAdmin.roleGrantsFor(second.id))[0]!.state, 'approved');
    });

    it('another administrator approves a pending grant: the role is given, each step audited; it cannot be decided twice', async () => {
      const newAdmin = await user('new.admin');
      const [request] = await pendingFor('new.admin');
      const approver = await signedIn('second.admin');
      const list = await approver.get('/admin');
      assert.match(list.body, new RegExp(`/admin/role-requests/${request!.id}/approve`), 'listed for another administrator to decide');
      await approver.stepUp();
      const approved = await approver.post(`/admin/role-requests/${request!.id}/approve`, { reason: 'confirmed with the line manager' });
      assert.equal(approved.statusCode, 303);
      assert.deepEqual(await rolesOf('new.admin'), ['admin']);
      const [event] = await audited('user.role_grant_approved', newAdmin.id);
      assert.equal(event!.who, `user:${(await user('second.admin')).id}`);
      assert.equal(event!.justification, 'confirmed with the line manager');
      assert.equal((event!.details as { requestedBy: string }).requestedBy, (await user('solo.admin')).id);
      const again = await approver.post(`/admin/role-requests/${request!.id}/approve`, { reason: 'twice' });
      assert.equal(again.statusCode, 409);
      assert.match(again.body, /already been approved/);
    });

    it('the recipient cannot approve a grant to themselves, and another administrator may refuse it', async () => {
      const requester = await signedIn('solo.admin');
      const second = await user('second.admin');
      assert.equal((await setRoles(requester, second.id, ['admin', 'dpo'], 'DPO cover')).statusCode, 303);
      const [request] = await pendingFor('second.admin');
      assert.equal(request!.role, 'dpo');
      const recipient = await signedIn('second.admin');
      assert.doesNotMatch((await recipient.get('/admin')).body, new RegExp(`/admin/role-requests/${request!.id}/approve`));
      await recipient.stepUp();
      const self = await recipient.post(`/admin/role-requests/${request!.id}/approve`, { reason: 'fine by me' });
      assert.equal(self.statusCode, 403);
      assert.match(self.body, /would be given to you/);
      assert.deepEqual(await rolesOf('second.admin'), ['admin']);
      const third = await signedIn('new.admin', 'tangerine ladder mosaic 44');
      assert.equal((await third.post(`/admin/role-requests/${request!.id}/refuse`, { reason: 'the DPO is back' })).statusCode, 303);
      assert.equal((await t.services.userAdmin.roleGrantsFor(second.id)).find((r) => r.id === request!.id)!.state, 'refused');
      assert.equal((await audited('user.role_grant_refused', second.id)).length, 1);
      assert.deepEqual(await rolesOf('second.admin'), ['admin']);
    });

    it('an administrator may be removed while another stays; two removing each other at once leave one', async () => {
      await createUser(t.services, 'temp.admin', ['admin']);
      const solo = await signedIn('solo.admin');
      const temp = await user('temp.admin');
      assert.equal((await setRoles(solo, temp.id, ['supervisor'], 'no longer an administrator')).statusCode, 303);
      assert.deepEqual(await rolesOf('temp.admin'), ['supervisor']);
      // Now three active administrators (solo, second, new); disable two in parallel twice over: one always remains.
      const attempts = await Promise.allSettled([
        t.services.userAdmin.disable(contextFor(await user('second.admin')), 'solo.admin', 'race'),
        t.services.userAdmin.disable(contextFor(await user('solo.admin')), 'second.admin', 'race'),
        t.services.userAdmin.disable(contextFor(await user('solo.admin')), 'new.admin', 'race'),
      ]);
      const active = await t.services.data.repos.users.enabledIdsWithRole('admin');
      assert.equal(active.length, 1, JSON.stringify(attempts.map((a) => a.status)));
      assert.equal(attempts.filter((a) => a.status === 'rejected').length, 1);
    });
  });

  describe('the published demo password (issue 12 item 6)', () => {
    it('is refused wherever a password is set: the admin form and the CLI’s service', async () => {
      const browser = new Browser(t.app);
      await createUser(t.services, 'pw.admin', ['admin']);
      await browser.signIn('pw.admin');
      await browser.get('/admin/users/new');
      const refused = await browser.post('/admin/users/new', { username: 'pc.demo', displayName: 'PC Demo', password: DEMO_PASSWORD, roles: 'rvr_officer' });
      assert.equal(refused.statusCode, 400);
      assert.match(refused.body, /published/);
      await assert.rejects(
        t.services.userAdmin.create(cliContext, { username: 'pc.demo', displayName: 'PC Demo', password: `${DEMO_PASSWORD}!`, roles: ['rvr_officer'] }),
        /published/,
      );
      assert.equal(await t.services.data.repos.users.findByUsername('pc.demo'), undefined);
    });

    it('in production, a demo account or an account holding the demo password cannot sign in', async () => {
      await t.services.userAdmin.createDemoAccount(cliContext, { username: 'demo.account', displayName: 'Demo', roles: ['call_handler'] });
      const legacy = await createUser(t.services, 'legacy.pw', ['call_handler']);
      // As if set before the deny-list existed.
      await t.db.database.db.execute(sql`update users set password_hash = ${await hashPassword(DEMO_PASSWORD)} where id = ${legacy.id}`);
      const meta = { userAgent: 'test', clientIp: '127.0.0.1', correlationId: 'demo-pw' };
      const production = new AuthService(t.services.data, t.services.audit, { ...t.config, nodeEnv: 'production' }, () => new Date());
      assert.deepEqual(await production.signIn('demo.account', DEMO_PASSWORD, meta), { ok: false });
      assert.deepEqual(await production.signIn('legacy.pw', DEMO_PASSWORD, meta), { ok: false });
      const development = new AuthService(t.services.data, t.services.audit, { ...t.config, nodeEnv: 'development' }, () => new Date());
      assert.equal((await development.signIn('demo.account', DEMO_PASSWORD, meta)).ok, true, 'the demo works outside production');
      for (const username of ['demo.account', 'legacy.pw']) {
        const [failure] = await audited('session.sign_in_failed', (await user(username)).id);
        assert.equal((failure!.details as { reason: string }).reason, 'published_password');
      }
    });
  });
});
