import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientNetwork } from '../../core/client-network.js';
import { AppError, badRequest, forbidden, notFound } from '../../core/errors.js';
import { passwordSignInAllowed } from '../../services/identity/sso.js';
import { signOut, signUp, startSession } from '../../services/account.service.js';
import { rateLimited } from '../../services/rate-limiter.js';
import { accountContacts } from '../../services/user.service.js';
import type { ServiceContext } from '../../services/context.js';
import { SESSION_COOKIE, SESSION_DAYS } from '../../services/session.service.js';
import { cookieName, readCookie } from '../session.js';
import { checkPreSessionForm, checkSessionForm, field, type FormBody, formOf, preSessionCsrf, safeNext, setViewer, viewerOf } from './request.js';
import { PASSKEY_SCRIPTS } from './factor-assets.js';
import { holdForSecondFactor, landingAfterSignIn } from './second-factor.js';
import { addCookie, clearCookie, redirect, sendPage } from './respond.js';
import { loginView, signupView } from './views/auth.view.js';
import type { WebDeps } from './web.plugin.js';

/** Starts the session: a brand-new cookie, whatever cookie the browser came with (session fixation). */
export async function signIn(ctx: ServiceContext, request: FastifyRequest, reply: FastifyReply, user: { id: number; login: string; locked_at: string | null }, via: string) {
  const name = cookieName(ctx.config, SESSION_COOKIE);
  const origin = { userAgent: request.headers['user-agent'], address: request.ip };
  const cookie = await startSession(ctx, user, via, readCookie(request, name), origin);
  addCookie(ctx, reply, name, cookie, { maxAgeSeconds: SESSION_DAYS * 86_400 });
  setViewer(request, null);
}

/** Errors a form shows next to itself (wrong password, too many attempts, locked, busy); others become error pages. */
const formError = (err: unknown): err is AppError => err instanceof AppError && [400, 401, 403, 409, 429, 503].includes(err.status);

export async function authRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { ctx } = deps.runtime;
  const shell = { viewer: null, allowSignup: ctx.config.allowSignup };
  const formCsrf = async (request: FastifyRequest, reply: FastifyReply) => preSessionCsrf(ctx, await deps.csrfKey(), request, reply);
  const checkForm = async (request: FastifyRequest, form: FormBody) => checkPreSessionForm(ctx, await deps.csrfKey(), request, form);

  const sso = deps.sso?.name ?? null;
  const loginShell = { ...shell, scripts: PASSKEY_SCRIPTS };
  app.get('/login', async (request, reply) => {
    const next = safeNext((request.query as { next?: string }).next);
    if (await viewerOf(ctx, request)) return redirect(reply, next);
    // Under oidc_only the page still has the password form, for the break-glass admins; anyone
    // else who uses it is sent to the provider (below).
    const breakGlassOnly = ctx.config.oidcOnly;
    return sendPage(reply, 200, loginView(loginShell, { csrf: await formCsrf(request, reply), next, sso, breakGlassOnly }), { noStore: true });
  });

  app.post('/login', async (request, reply) => {
    const form = formOf(request);
    await checkForm(request, form);
    const login = field(form, 'login').trim();
    const next = safeNext(field(form, 'next'));
    try {
      // Password sign-in is off for this login: it goes to the provider, before any password check.
      if (!passwordSignInAllowed(ctx, login)) return redirect(reply, `/login/oidc?next=${encodeURIComponent(next)}`);
      const user = await deps.passwords.authenticate(ctx, { login, password: field(form, 'password') }, { address: request.ip });
      if (await holdForSecondFactor(ctx, request, reply, user, deps.passwords.id, next)) return redirect(reply, '/login/two-factor');
      await signIn(ctx, request, reply, user, deps.passwords.id);
      request.log.info({ login: user.login }, 'signed in');
      return redirect(reply, await landingAfterSignIn(ctx, user.id, next));
    } catch (err) {
      if (!formError(err)) throw err;
      request.log.warn({ login, status: err.status }, 'sign-in refused');
      const page = loginView(loginShell, { csrf: await formCsrf(request, reply), login, next, error: err.detail, sso, breakGlassOnly: ctx.config.oidcOnly });
      return sendPage(reply, err.status, page, { noStore: true, headers: { ...err.headers } });
    }
  });

  app.post('/logout', async (request, reply) => {
    const viewer = await viewerOf(ctx, request);
    if (viewer) {
      checkSessionForm(viewer, formOf(request));
      await signOut(ctx, viewer.cookie);
    }
    clearCookie(ctx, reply, cookieName(ctx.config, SESSION_COOKIE));
    return redirect(reply, '/');
  });

  app.get('/signup', async (request, reply) => {
    if (!ctx.config.allowSignup || ctx.config.oidcOnly) throw notFound(`sign-up is not open on this registry; ${await accountContacts(ctx)}`);
    if (await viewerOf(ctx, request)) return redirect(reply, '/me');
    return sendPage(reply, 200, signupView(shell, { csrf: await formCsrf(request, reply) }), { noStore: true });
  });

  app.post('/signup', async (request, reply) => {
    if (!ctx.config.allowSignup || ctx.config.oidcOnly) throw notFound(`sign-up is not open on this registry; ${await accountContacts(ctx)}`);
    const form = formOf(request);
    await checkForm(request, form);
    const login = field(form, 'login').trim();
    const email = field(form, 'email').trim();
    try {
      // Every attempt counts, so one client (an IPv6 one by its /64) cannot create accounts in bulk or probe logins.
      const network = clientNetwork(request.ip);
      const wait = await deps.signups.take(network);
      if (wait > 0) throw rateLimited(`too many sign-ups from your address; try again in ${Math.ceil(wait / 60)} minutes`, wait);
      if (field(form, 'password') !== field(form, 'confirm')) throw badRequest('the password and its repetition differ');
      const user = await signUp(ctx, { login, password: field(form, 'password'), email: email === '' ? null : email });
      await signIn(ctx, request, reply, user, 'signup');
      return redirect(reply, await landingAfterSignIn(ctx, user.id, '/me'));
    } catch (err) {
      if (!formError(err)) throw err;
      const page = signupView(shell, { csrf: await formCsrf(request, reply), login, email, error: err.detail });
      return sendPage(reply, err.status, page, { noStore: true, headers: { ...err.headers } });
    }
  });
}
