import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { AppError, badRequest, forbidden, unauthorized } from '../../core/errors.js';
import { checkCsrf, markReauthenticated } from '../../services/session.service.js';
import { putBrowserChallenge, takeBrowserChallenge } from '../../services/factors/challenges.js';
import { factorSummary } from '../../services/factors/factors.service.js';
import {
  confirmTotpEnrolment,
  pendingTotpEnrolment,
  regenerateRecoveryCodes,
  removeTotp,
  startTotpEnrolment,
  type TotpEnrolment,
} from '../../services/factors/totp.service.js';
import { authenticationOptions, finishAuthentication, finishRegistration, registrationOptions, removePasskey, renamePasskey } from '../../services/factors/webauthn.service.js';
import { trusted } from './html.js';
import { field, type FormBody, type Viewer, viewerOf, sessionForm } from './request.js';
import { redirect, sendPage } from './respond.js';
import { sendJson, sendJsonError } from './second-factor.js';
import { requireSudo } from './sudo.js';
import { recoveryCodesView, totpSetupView, twoFactorView } from './views/factors.view.js';
import type { WebDeps } from './web.plugin.js';

/**
 * /me/two-factor: setting up and removing an authenticator app, passkeys and recovery codes.
 * Every change needs the sudo window (sudo.ts); a passkey can open that window too.
 */
export async function factorRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { ctx } = deps.runtime;
  const shellOf = (viewer: Viewer) => ({ viewer, allowSignup: ctx.config.allowSignup });

  const poster = async (request: FastifyRequest, { sudo }: { sudo: boolean }): Promise<{ viewer: Viewer; form: FormBody }> => {
    const { viewer, form } = await sessionForm(ctx, request);
    if (sudo) await requireSudo(deps, request, viewer, form);
    return { viewer, form };
  };
  /** The signed-in user of a JSON call, with the session's CSRF token in X-CSRF-Token. */
  const jsonViewer = async (request: FastifyRequest): Promise<Viewer> => {
    const viewer = await viewerOf(ctx, request);
    if (!viewer) throw unauthorized('your session has ended: sign in again');
    checkCsrf(viewer.cookie, request.headers['x-csrf-token'] as string | undefined);
    return viewer;
  };
  const showSettings = async (reply: FastifyReply, viewer: Viewer, status: number, extra: { notice?: unknown; error?: string | null } = {}) =>
    sendPage(reply, status, twoFactorView(shellOf(viewer), { csrf: viewer.csrf, summary: await factorSummary(ctx, viewer.actor.userId), ...extra }), { noStore: true });
  const showSetup = async (reply: FastifyReply, viewer: Viewer, enrolment: TotpEnrolment, status: number, error: string | null = null) => {
    // Rendered here as markup of paths only: no script, no external image, allowed by the page's policy.
    const svg = await QRCode.toString(enrolment.uri, { type: 'svg', margin: 2, errorCorrectionLevel: 'M' });
    return sendPage(reply, status, totpSetupView(shellOf(viewer), { csrf: viewer.csrf, secret: enrolment.secret, qrSvg: trusted(svg), error }), { noStore: true });
  };

  app.get('/me/two-factor', async (request, reply) => {
    const viewer = await viewerOf(ctx, request);
    if (!viewer) return redirect(reply, '/login?next=%2Fme%2Ftwo-factor');
    return showSettings(reply, viewer, 200, { notice: (request.query as { notice?: unknown }).notice });
  });

  app.post('/me/two-factor/totp', async (request, reply) => {
    const { viewer } = await poster(request, { sudo: true });
    try {
      return await showSetup(reply, viewer, await startTotpEnrolment(ctx, viewer.actor), 200);
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 409) throw err;
      return showSettings(reply, viewer, 409, { error: err.detail });
    }
  });

  app.post('/me/two-factor/totp/confirm', async (request, reply) => {
    const { viewer, form } = await poster(request, { sudo: false });
    try {
      // Codes typed here are guessed as at sign-in (by whoever holds a stolen session): the same limits.
      let result: { recoveryCodes: string[] | null } | null = null;
      await deps.factorThrottle.check(viewer.actor.login, request.ip, async () => {
        try {
          result = await confirmTotpEnrolment(ctx, viewer.actor, field(form, 'code'));
          return true;
        } catch (err) {
          if (err instanceof AppError && err.status === 400) return false;
          throw err;
        }
      });
      const done = result as { recoveryCodes: string[] | null } | null;
      if (!done) throw badRequest('that code is not right: enter the 6 digits the app shows now');
      if (!done.recoveryCodes) return redirect(reply, '/me/two-factor?notice=totp-added');
      const page = recoveryCodesView(shellOf(viewer), { codes: done.recoveryCodes, lead: 'The authenticator app is set up.' });
      return sendPage(reply, 200, page, { noStore: true });
    } catch (err) {
      if (!(err instanceof AppError) || ![400, 409, 429, 503].includes(err.status)) throw err;
      const pending = await pendingTotpEnrolment(ctx, viewer.actor);
      if (!pending) return showSettings(reply, viewer, err.status, { error: err.detail });
      return showSetup(reply, viewer, pending, err.status, err.detail);
    }
  });

  app.post('/me/two-factor/totp/remove', async (request, reply) => {
    const { viewer } = await poster(request, { sudo: true });
    const summary = await factorSummary(ctx, viewer.actor.userId);
    await removeTotp(ctx, viewer.actor, summary.passkeys.length > 0);
    return redirect(reply, '/me/two-factor?notice=totp-removed');
  });

  app.post('/me/two-factor/recovery-codes', async (request, reply) => {
    const { viewer } = await poster(request, { sudo: true });
    const summary = await factorSummary(ctx, viewer.actor.userId);
    if (!summary.totp && summary.passkeys.length === 0) throw badRequest('set up an authenticator app or a passkey first');
    const codes = await regenerateRecoveryCodes(ctx, viewer.actor);
    return sendPage(reply, 200, recoveryCodesView(shellOf(viewer), { codes, lead: 'New recovery codes were made; the old ones no longer work.' }), { noStore: true });
  });

  app.post('/me/two-factor/passkeys/options', async (request, reply) => {
    try {
      const viewer = await jsonViewer(request);
      if (!viewer.sudo) throw forbidden(`confirm your password first (at ${ctx.config.publicUrl}/confirm-password): adding a passkey needs a recent sign-in`);
      const options = await registrationOptions(ctx, viewer.actor);
      await putBrowserChallenge(ctx, 'passkey-register', viewer.cookie, { userId: viewer.actor.userId, challenge: options.challenge, detail: {} });
      return sendJson(reply, options);
    } catch (err) {
      return sendJsonError(reply, err);
    }
  });

  app.post('/me/two-factor/passkeys', async (request, reply) => {
    try {
      const viewer = await jsonViewer(request);
      const body = (request.body ?? {}) as { name?: unknown; response?: RegistrationResponseJSON };
      if (!body.response || typeof body.response !== 'object') throw badRequest('expected the answer of a passkey');
      const step = await takeBrowserChallenge(ctx, 'passkey-register', viewer.cookie);
      if (!step?.challenge || step.userId !== viewer.actor.userId) throw badRequest('the passkey request expired: try again');
      const { recoveryCodes } = await finishRegistration(ctx, viewer.actor, body.response, step.challenge, typeof body.name === 'string' ? body.name : '');
      return sendJson(reply, { location: '/me/two-factor?notice=passkey-added', recoveryCodes });
    } catch (err) {
      return sendJsonError(reply, err);
    }
  });

  const passkeyId = (raw: string): number => {
    const id = Number(raw);
    if (!Number.isSafeInteger(id) || id < 1) throw badRequest('a passkey id is a positive integer');
    return id;
  };

  app.post<{ Params: { id: string } }>('/me/two-factor/passkeys/:id/rename', async (request, reply) => {
    const { viewer, form } = await poster(request, { sudo: false });
    try {
      await renamePasskey(ctx, viewer.actor, passkeyId(request.params.id), field(form, 'name'));
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 400) throw err;
      return showSettings(reply, viewer, 400, { error: err.detail });
    }
    return redirect(reply, '/me/two-factor?notice=passkey-renamed');
  });

  app.post<{ Params: { id: string } }>('/me/two-factor/passkeys/:id/remove', async (request, reply) => {
    const { viewer } = await poster(request, { sudo: true });
    await removePasskey(ctx, viewer.actor, passkeyId(request.params.id));
    return redirect(reply, '/me/two-factor?notice=passkey-removed');
  });

  // A passkey re-authenticates as the password does: it opens the sudo window (the confirm page's button).
  app.post('/me/sudo/passkey/options', async (request, reply) => {
    try {
      const viewer = await jsonViewer(request);
      const options = await authenticationOptions(ctx, viewer.actor.userId);
      if (options.allowCredentials?.length === 0) throw badRequest('you have no passkey: confirm with your password');
      await putBrowserChallenge(ctx, 'passkey-sudo', viewer.cookie, { userId: viewer.actor.userId, challenge: options.challenge, detail: {} });
      return sendJson(reply, options);
    } catch (err) {
      return sendJsonError(reply, err);
    }
  });

  app.post('/me/sudo/passkey', async (request, reply) => {
    try {
      const viewer = await jsonViewer(request);
      const body = (request.body ?? {}) as { response?: AuthenticationResponseJSON };
      if (!body.response || typeof body.response !== 'object') throw badRequest('expected the answer of a passkey');
      const step = await takeBrowserChallenge(ctx, 'passkey-sudo', viewer.cookie);
      if (!step?.challenge) throw badRequest('the passkey request expired: try again');
      await finishAuthentication(ctx, body.response, step.challenge, viewer.actor.userId);
      await markReauthenticated(ctx, viewer.cookie);
      return sendJson(reply, { location: '/me' });
    } catch (err) {
      return sendJsonError(reply, err);
    }
  });
}
