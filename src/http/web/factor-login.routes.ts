import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, badRequest, forbidden, unauthorized } from '../../core/errors.js';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { findUserById } from '../../db/repositories/user.repository.js';
import { dropBrowserChallenge, putBrowserChallenge, readBrowserChallenge, takeBrowserChallenge } from '../../services/factors/challenges.js';
import { checkSecondFactorCode, factorSummary } from '../../services/factors/factors.service.js';
import { authenticationOptions, finishAuthentication, passkeyUser } from '../../services/factors/webauthn.service.js';
import { passwordSignInAllowed } from '../../services/identity/sso.js';
import { cookieName } from '../session.js';
import { signIn } from './auth.routes.js';
import { checkPreSessionForm, field, type FormBody, formOf, preSessionCsrf, safeNext } from './request.js';
import { clearCookie, redirect, sendPage } from './respond.js';
import { ensurePendingCookie, landingAfterSignIn, PENDING_COOKIE, pendingCookieOf, sendJson, sendJsonError } from './second-factor.js';
import { secondFactorLoginView } from './views/factors.view.js';
import type { WebDeps } from './web.plugin.js';

const WRONG_CODE = 'that code is not right, or was used already';

/**
 * The second step of signing in (/login/two-factor: an app code, a recovery code or a passkey)
 * and signing in with a passkey alone. Both end in auth.routes' signIn, like a password.
 */
export async function factorLoginRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { ctx } = deps.runtime;
  const shell = { viewer: null, allowSignup: ctx.config.allowSignup };
  const formCsrf = async (request: FastifyRequest, reply: FastifyReply) => preSessionCsrf(ctx, await deps.csrfKey(), request, reply);
  const checkForm = async (request: FastifyRequest, form: FormBody) => checkPreSessionForm(ctx, await deps.csrfKey(), request, form);
  const checkJson = async (request: FastifyRequest) => checkForm(request, { _csrf: String(request.headers['x-csrf-token'] ?? '') });
  const forgetPending = (reply: FastifyReply) => clearCookie(ctx, reply, cookieName(ctx.config, PENDING_COOKIE));

  /** The sign-in waiting for its second factor in this browser, or null. */
  const pendingOf = async (request: FastifyRequest) => {
    const cookie = pendingCookieOf(ctx, request);
    const step = cookie ? await readBrowserChallenge(ctx, 'second-factor', cookie) : null;
    return cookie && step?.userId != null ? { cookie, userId: step.userId, via: step.detail.via ?? 'password', next: safeNext(step.detail.next) } : null;
  };

  const showStep = async (request: FastifyRequest, reply: FastifyReply, userId: number, next: string, status: number, error: string | null, headers: Record<string, string> = {}) => {
    const summary = await factorSummary(ctx, userId);
    const page = secondFactorLoginView(shell, { csrf: await formCsrf(request, reply), hasTotp: summary.totp, hasPasskeys: summary.passkeys.length > 0, next, error });
    return sendPage(reply, status, page, { noStore: true, headers });
  };

  app.get('/login/two-factor', async (request, reply) => {
    const pending = await pendingOf(request);
    if (!pending) return redirect(reply, '/login');
    return showStep(request, reply, pending.userId, pending.next, 200, null);
  });

  app.post('/login/two-factor', async (request, reply) => {
    const form = formOf(request);
    await checkForm(request, form);
    const pending = await pendingOf(request);
    if (!pending) return redirect(reply, '/login');
    const user = await findUserById(ctx.db, pending.userId);
    if (!user) return redirect(reply, '/login');
    let method: string | null = null;
    try {
      // Guessing codes costs what guessing passwords does, per account and address.
      const ok = await deps.factorThrottle.check(user.login, request.ip, async () => {
        method = await checkSecondFactorCode(ctx, user.id, field(form, 'code'));
        return method !== null;
      });
      if (!ok || method === null) throw unauthorized(WRONG_CODE);
      // Taken, not just read: one password check opens one session.
      if (!(await takeBrowserChallenge(ctx, 'second-factor', pending.cookie))) return redirect(reply, '/login');
      await signIn(ctx, request, reply, user, `${pending.via}+${method}`);
    } catch (err) {
      if (!(err instanceof AppError) || ![401, 403, 429, 503].includes(err.status)) throw err;
      request.log.warn({ login: user.login, status: err.status }, 'second factor refused');
      return showStep(request, reply, user.id, pending.next, err.status, err.detail, { ...err.headers });
    }
    forgetPending(reply);
    request.log.info({ login: user.login, method }, 'signed in');
    return redirect(reply, await landingAfterSignIn(ctx, user.id, pending.next));
  });

  app.post('/login/two-factor/cancel', async (request, reply) => {
    await checkForm(request, formOf(request));
    const cookie = pendingCookieOf(ctx, request);
    if (cookie) await dropBrowserChallenge(ctx, 'second-factor', cookie);
    forgetPending(reply);
    return redirect(reply, '/login');
  });

  // A passkey: the second factor of a sign-in waiting for one, or alone (usernameless).
  app.post('/login/passkey/options', async (request, reply) => {
    try {
      await checkJson(request);
      const pending = await pendingOf(request);
      const cookie = pending?.cookie ?? ensurePendingCookie(ctx, request, reply);
      const options = await authenticationOptions(ctx, pending?.userId ?? null);
      await putBrowserChallenge(ctx, 'passkey-login', cookie, { userId: pending?.userId ?? null, challenge: options.challenge, detail: {} });
      return sendJson(reply, options);
    } catch (err) {
      return sendJsonError(reply, err);
    }
  });

  app.post('/login/passkey', async (request, reply) => {
    try {
      await checkJson(request);
      const body = (request.body ?? {}) as { response?: AuthenticationResponseJSON; next?: string };
      if (!body.response || typeof body.response !== 'object') throw badRequest('expected the answer of a passkey');
      const cookie = pendingCookieOf(ctx, request);
      const step = cookie ? await takeBrowserChallenge(ctx, 'passkey-login', cookie) : null;
      if (!cookie || !step?.challenge) throw badRequest('the passkey request expired: try again');
      const { userId } = await finishAuthentication(ctx, body.response, step.challenge, step.userId);
      let via = 'passkey';
      let next = safeNext(body.next);
      if (step.userId !== null) {
        const pending = await takeBrowserChallenge(ctx, 'second-factor', cookie);
        if (!pending) throw badRequest('the sign-in expired: enter your password again');
        via = `${pending.detail.via ?? 'password'}+passkey`;
        next = safeNext(pending.detail.next);
      }
      const user = await passkeyUser(ctx, userId);
      // Under oidc_only the provider decides who may sign in: a passkey alone is a local sign-in, as a password is.
      if (step.userId === null && !passwordSignInAllowed(ctx, user.login)) {
        throw forbidden(`Signing in without ${ctx.config.oidcName} is turned off on this registry: use “Sign in with ${ctx.config.oidcName}”.`);
      }
      await signIn(ctx, request, reply, user, via);
      forgetPending(reply);
      request.log.info({ login: user.login, method: via }, 'signed in');
      return sendJson(reply, { location: await landingAfterSignIn(ctx, user.id, next) });
    } catch (err) {
      return sendJsonError(reply, err);
    }
  });
}
