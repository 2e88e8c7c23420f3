import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, badRequest, forbidden, unauthorized } from '../../core/errors.js';
import { listAudit } from '../../db/repositories/audit.repository.js';
import { countLiveTokens } from '../../db/repositories/token.repository.js';
import { findUserByLogin } from '../../db/repositories/user.repository.js';
import { createAccount, listAccounts, setAdmin, setLocked } from '../../services/account.service.js';
import { AUDIT_ACTIONS, type AuditAction } from '../../services/audit.service.js';
import { factorsByUser, resetFactors } from '../../services/factors/factors.service.js';
import { mirrorOverview } from '../../services/mirror/mirror-admin.service.js';
import { revokeAllTokens } from '../../services/token.service.js';
import { checkSessionForm, field, type FormBody, formOf, type Viewer, viewerOf } from './request.js';
import { redirect, sendPage } from './respond.js';
import { requireSudo } from './sudo.js';
import { type AuditFilters, auditView, confirmRevokeAllView, mirrorView, type NewUserForm, revokeAllView, usersView } from './views/admin.view.js';
import type { WebDeps } from './web.plugin.js';

const USER_ACTIONS = ['lock', 'unlock', 'admin', 'unadmin', 'reset-factors'] as const;
type UserAction = (typeof USER_ACTIONS)[number];

/** Administration: accounts, the incident switch, the audit log. Every page needs an admin session. */
export async function adminRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { ctx } = deps.runtime;
  const shellOf = (viewer: Viewer) => ({ viewer, allowSignup: ctx.config.allowSignup });

  const admin = async (request: FastifyRequest, reply: FastifyReply): Promise<Viewer | null> => {
    const viewer = await viewerOf(ctx, request);
    if (!viewer) {
      if (request.method === 'GET') {
        redirect(reply, `/login?next=${encodeURIComponent(request.url)}`);
        return null;
      }
      throw unauthorized('your session has ended: sign in again');
    }
    if (!viewer.actor.isAdmin) throw forbidden('this page is for administrators of the registry');
    return viewer;
  };
  const adminPost = async (request: FastifyRequest, reply: FastifyReply): Promise<{ viewer: Viewer; form: FormBody } | null> => {
    const viewer = await admin(request, reply);
    if (!viewer) return null;
    const form = formOf(request);
    checkSessionForm(viewer, form);
    // Every admin action needs a recent password, whoever holds the session cookie.
    await requireSudo(deps, request, viewer, form);
    return { viewer, form };
  };
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
