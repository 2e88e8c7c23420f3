import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError, badRequest } from '../../core/errors.js';
import { listAudit } from '../../db/repositories/audit.repository.js';
import { countLiveTokens } from '../../db/repositories/token.repository.js';
import { findUserByLogin } from '../../db/repositories/user.repository.js';
import { createPasswordReset, deleteAccount } from '../../services/account-lifecycle.service.js';
import { createAccount, listAccounts, setAdmin, setLocked } from '../../services/account.service.js';
import { jobsOverview, retryJob } from '../../services/jobs/job-admin.service.js';
import { AUDIT_ACTIONS, type AuditAction } from '../../services/audit.service.js';
import { factorsByUser, resetFactors } from '../../services/factors/factors.service.js';
import { mirrorOverview } from '../../services/mirror/mirror-admin.service.js';
import { addTeamMember, createTeam, listTeams, removeTeam, removeTeamMember } from '../../services/owners/team.service.js';
import { revokeAllTokens } from '../../services/token.service.js';
import { adminGuards } from './admin-guard.js';
import { field, type FormBody, type Viewer } from './request.js';
import { redirect, sendPage } from './respond.js';
import { type AuditFilters, auditView, confirmDeleteUserView, confirmRevokeAllView, jobsView, mirrorView, type NewUserForm, passwordResetLinkView, revokeAllView, usersView } from './views/admin.view.js';
import { teamsView } from './views/teams.view.js';
import type { WebDeps } from './web.plugin.js';

const USER_ACTIONS = ['lock', 'unlock', 'admin', 'unadmin', 'reset-factors'] as const;
type UserAction = (typeof USER_ACTIONS)[number];

/** Administration: accounts, the incident switch, the audit log. Every page needs an admin session. */
export async function adminRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { ctx } = deps.runtime;
  const shellOf = (viewer: Viewer) => ({ viewer, allowSignup: ctx.config.allowSignup });

  const { admin, adminPost } = adminGuards(deps);
  const liveTokens = () => countLiveTokens(ctx.db, null, ctx.clock.now().toISOString());

  app.get('/admin', async (_request, reply) => redirect(reply, '/admin/users'));

  const showUsers = async (reply: FastifyReply, viewer: Viewer, status: number, extra: { notice?: unknown; error?: string; form?: NewUserForm } = {}) =>
    sendPage(reply, status, usersView(shellOf(viewer), { csrf: viewer.csrf, users: await listAccounts(ctx), factors: await factorsByUser(ctx), ...extra }), { noStore: true });

  app.get('/admin/users', async (request, reply) => {
    const viewer = await admin(request, reply);
    if (!viewer) return reply;
    return showUsers(reply, viewer, 200, { notice: (request.query as { notice?: unknown }).notice });
  });

  app.post('/admin/users', async (request, reply) => {
    const posted = await adminPost(request, reply);
    if (!posted) return reply;
    const { viewer, form } = posted;
    const input: NewUserForm = { login: field(form, 'login').trim(), name: field(form, 'name').trim(), email: field(form, 'email').trim(), admin: field(form, 'admin') === 'yes' };
    try {
      await createAccount(
        ctx,
        { login: input.login, name: input.name || null, email: input.email || null, isAdmin: input.admin, password: field(form, 'password') },
        { actor: viewer.actor },
      );
      return redirect(reply, '/admin/users?notice=created');
    } catch (err) {
      if (!(err instanceof AppError) || (err.status !== 400 && err.status !== 409)) throw err;
      return showUsers(reply, viewer, err.status, { error: err.detail, form: input });
    }
  });

  app.post<{ Params: { login: string } }>('/admin/users/:login/delete', async (request, reply) => {
    const posted = await adminPost(request, reply);
    if (!posted) return reply;
    const { viewer, form } = posted;
    const login = request.params.login;
    if (field(form, 'confirm') !== 'yes') return sendPage(reply, 200, confirmDeleteUserView(shellOf(viewer), { csrf: viewer.csrf, login }), { noStore: true });
    try {
      await deleteAccount(ctx, { actor: viewer.actor }, login);
    } catch (err) {
      if (!(err instanceof AppError) || (err.status !== 400 && err.status !== 409)) throw err;
      return showUsers(reply, viewer, err.status, { error: err.detail });
    }
    return redirect(reply, '/admin/users?notice=deleted');
  });

  app.post<{ Params: { login: string } }>('/admin/users/:login/reset-password', async (request, reply) => {
    const posted = await adminPost(request, reply);
    if (!posted) return reply;
    try {
      const link = await createPasswordReset(ctx, { actor: posted.viewer.actor }, request.params.login);
      // Shown once: the page is never stored, and the link is not kept anywhere but in this answer.
      return sendPage(reply, 200, passwordResetLinkView(shellOf(posted.viewer), link), { noStore: true, headers: { 'referrer-policy': 'no-referrer' } });
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 400) throw err;
      return showUsers(reply, posted.viewer, 400, { error: err.detail });
    }
  });

  app.post<{ Params: { login: string; action: string } }>('/admin/users/:login/:action', async (request, reply) => {
    const posted = await adminPost(request, reply);
    if (!posted) return reply;
    const action = request.params.action as UserAction;
    if (!USER_ACTIONS.includes(action)) throw badRequest(`unknown action \`${request.params.action}\``);
    const by = { actor: posted.viewer.actor };
    try {
      if (action === 'lock' || action === 'unlock') await setLocked(ctx, by, request.params.login, action === 'lock');
      else if (action === 'reset-factors') await resetFactors(ctx, { ...by, via: 'web' }, request.params.login);
      else await setAdmin(ctx, by, request.params.login, action === 'admin');
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 400) throw err;
      return showUsers(reply, posted.viewer, 400, { error: err.detail });
    }
    const done: Record<UserAction, string> = { lock: 'locked', unlock: 'unlocked', admin: 'admin', unadmin: 'unadmin', 'reset-factors': 'factors-reset' };
    return redirect(reply, `/admin/users?notice=${done[action]}`);
  });

  const showTeams = async (reply: FastifyReply, viewer: Viewer, status: number, extra: { notice?: unknown; error?: string } = {}) =>
    sendPage(reply, status, teamsView(shellOf(viewer), { csrf: viewer.csrf, teams: await listTeams(ctx), ...extra }), { noStore: true });

  app.get('/admin/teams', async (request, reply) => {
    const viewer = await admin(request, reply);
    if (!viewer) return reply;
    return showTeams(reply, viewer, 200, { notice: (request.query as { notice?: unknown }).notice });
  });

  /** A team change: on a refusal the page again with its detail, else back to the list with a notice. */
  const teamPost = (path: string, change: (by: { actor: Viewer['actor'] }, form: FormBody, params: Record<string, string>) => Promise<unknown>, done: string) =>
    app.post<{ Params: Record<string, string> }>(path, async (request, reply) => {
      const posted = await adminPost(request, reply);
      if (!posted) return reply;
      try {
        await change({ actor: posted.viewer.actor }, posted.form, request.params);
      } catch (err) {
        if (!(err instanceof AppError) || ![400, 404, 409].includes(err.status)) throw err;
        return showTeams(reply, posted.viewer, err.status, { error: err.detail });
      }
      return redirect(reply, `/admin/teams?notice=${done}`);
    });
  teamPost('/admin/teams', (by, form) => createTeam(ctx, by, { name: field(form, 'name'), description: field(form, 'description') }), 'created');
  teamPost('/admin/teams/:team/remove', (by, _form, p) => removeTeam(ctx, by, p.team!), 'removed');
  teamPost('/admin/teams/:team/members', (by, form, p) => addTeamMember(ctx, by, p.team!, field(form, 'login')), 'member-added');
  teamPost('/admin/teams/:team/members/:login/remove', (by, _form, p) => removeTeamMember(ctx, by, p.team!, p.login!), 'member-removed');

  app.get('/admin/tokens', async (request, reply) => {
    const viewer = await admin(request, reply);
    if (!viewer) return reply;
    const revoked = Number((request.query as { revoked?: string }).revoked);
    const page = revokeAllView(shellOf(viewer), { csrf: viewer.csrf, liveTokens: await liveTokens(), revoked: Number.isSafeInteger(revoked) && revoked >= 0 ? revoked : null });
    return sendPage(reply, 200, page, { noStore: true });
  });

  // Two steps: the first post (a reason) answers with a confirmation page; only a second post
  // that carries the confirmation revokes anything.
  app.post('/admin/tokens/revoke-all', async (request, reply) => {
    const posted = await adminPost(request, reply);
    if (!posted) return reply;
    const { viewer, form } = posted;
    const reason = field(form, 'reason').trim().slice(0, 200);
    if (reason === '') {
      const page = revokeAllView(shellOf(viewer), { csrf: viewer.csrf, liveTokens: await liveTokens(), error: 'give a reason: it is shown to whoever uses a revoked token' });
      return sendPage(reply, 400, page, { noStore: true });
    }
    if (field(form, 'confirm') !== 'yes') {
      return sendPage(reply, 200, confirmRevokeAllView(shellOf(viewer), { csrf: viewer.csrf, liveTokens: await liveTokens(), reason }), { noStore: true });
    }
    const count = await revokeAllTokens(ctx, { actor: viewer.actor, via: 'web' }, {}, reason);
    request.log.warn({ count, by: viewer.actor.login }, 'every token was revoked');
    return redirect(reply, `/admin/tokens?revoked=${count}`);
  });

  app.get('/admin/mirror', async (request, reply) => {
    const viewer = await admin(request, reply);
    if (!viewer) return reply;
    const { mirror } = deps.runtime;
    return sendPage(reply, 200, mirrorView(shellOf(viewer), mirror ? await mirrorOverview(ctx, mirror) : null), { noStore: true });
  });

  app.get('/admin/jobs', async (request, reply) => {
    const viewer = await admin(request, reply);
    if (!viewer) return reply;
    const page = jobsView(shellOf(viewer), { csrf: viewer.csrf, overview: await jobsOverview(ctx), notice: (request.query as { notice?: unknown }).notice });
    return sendPage(reply, 200, page, { noStore: true });
  });

  app.post<{ Params: { id: string } }>('/admin/jobs/:id/retry', async (request, reply) => {
    const posted = await adminPost(request, reply);
    if (!posted) return reply;
    const id = Number(request.params.id);
    if (!Number.isSafeInteger(id) || id < 1) throw badRequest('a job id is a positive integer');
    await retryJob(ctx, posted.viewer.actor, id);
    return redirect(reply, '/admin/jobs?notice=retried');
  });

  app.get('/admin/audit', async (request, reply) => {
    const viewer = await admin(request, reply);
    if (!viewer) return reply;
    const q = request.query as Record<string, string | undefined>;
    const limit = [50, 100, 500].includes(Number(q.limit)) ? Number(q.limit) : 100;
    const filters: AuditFilters = { user: (q.user ?? '').trim(), action: q.action ?? '', crate: (q.crate ?? '').trim(), since: q.since ?? '', limit };
    let error: string | null = null;
    let userId: number | undefined;
    if (filters.user !== '') {
      userId = (await findUserByLogin(ctx.db, filters.user))?.id ?? -1;
      if (userId === -1) error = `no user with the login “${filters.user}”`;
    }
    if (filters.action !== '' && !AUDIT_ACTIONS.includes(filters.action as AuditAction)) {
      error = 'unknown action';
      filters.action = '';
    }
    if (filters.since !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(filters.since)) {
      error = 'give the date as YYYY-MM-DD';
      filters.since = '';
    }
    const rows = await listAudit(ctx.db, {
      userId,
      action: filters.action || undefined,
      crateName: filters.crate || undefined,
      since: filters.since || undefined,
      limit,
    });
    return sendPage(reply, error ? 400 : 200, auditView(shellOf(viewer), { filters, rows, error }), { noStore: true });
  });
}
