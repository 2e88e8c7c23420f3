import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, unauthorized } from '../../core/errors.js';
import { factorSummary } from '../../services/factors/factors.service.js';
import { verifyTotp } from '../../services/factors/totp.service.js';
import { markReauthenticated } from '../../services/session.service.js';
import { type FormBody, field, type Viewer } from './request.js';
import { sendPage } from './respond.js';
import { confirmPasswordView } from './views/auth.view.js';
import type { WebDeps } from './web.plugin.js';

/**
 * Re-authentication ("sudo mode"): a stolen session cookie must not be enough to mint a lasting
 * token or act as an admin. Such forms need the session to have proven the password within
 * `reauth_minutes` (a sign-in counts); otherwise the password comes with the form, in a field of
 * the form itself or from the confirmation page, which posts the original form again.
 */
export const SUDO_FIELD = 'sudo_password';
/** A code of the user's authenticator app re-authenticates too (a passkey does through /me/sudo/passkey). */
export const SUDO_CODE_FIELD = 'sudo_code';

/** Refusal of a sensitive form without a recent password: answered with the confirmation page. */
export class ReauthNeeded extends AppError {
  constructor(readonly refusal: AppError | null) {
    super(refusal?.code ?? 'forbidden', refusal?.detail ?? 'confirm your password to continue', refusal?.headers ?? {});
  }
}

/** Lets the form through when the window is open, or opens it with the password the form carries. */
export async function requireSudo(deps: WebDeps, request: FastifyRequest, viewer: Viewer, form: FormBody): Promise<void> {
  if (viewer.sudo) return;
  const password = field(form, SUDO_FIELD);
  const code = field(form, SUDO_CODE_FIELD);
  if (password === '' && code === '') throw new ReauthNeeded(null);
  const { ctx } = deps.runtime;
  let ok: boolean;
  try {
    ok =
      password !== ''
        ? await deps.passwords.confirm(ctx, viewer.actor, password, { address: request.ip })
        : await deps.factorThrottle.check(viewer.actor.login, request.ip, () => verifyTotp(ctx, viewer.actor.userId, code));
  } catch (err) {
    if (err instanceof AppError && (err.status === 429 || err.status === 503)) throw new ReauthNeeded(err);
    throw err;
  }
  if (!ok) throw new ReauthNeeded(unauthorized(password !== '' ? 'the password is not right' : 'that code is not right, or was used already'));
  await markReauthenticated(ctx, viewer.cookie);
  // The request's cached viewer is this object: the rest of the request sees the open window.
  viewer.sudo = true;
}

/**
 * The confirmation page for a refused form: it posts the same fields to the same address, with
 * the password added, so the user goes on with what they were doing.
 */
export async function sendConfirmPage(deps: WebDeps, err: ReauthNeeded, viewer: Viewer, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { ctx } = deps.runtime;
  const body = (request.body ?? {}) as FormBody;
  const carried: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(body)) {
    if (name === '_csrf' || name === SUDO_FIELD) continue;
    for (const one of Array.isArray(value) ? value : [value]) carried.push([name, one]);
  }
  const page = confirmPasswordView(
    { viewer, allowSignup: ctx.config.allowSignup },
    { csrf: viewer.csrf, action: request.url, carried, minutes: ctx.config.reauthMinutes, error: err.refusal?.detail ?? null, factors: await factorSummary(ctx, viewer.actor.userId) },
  );
  return sendPage(reply, err.status, page, { noStore: true, headers: { ...err.headers } });
}
