import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, unauthorized } from '../../core/errors.js';
import { listOidcIdentities } from '../../db/repositories/identity.repository.js';
import { factorSummary } from '../../services/factors/factors.service.js';
import { verifyTotp } from '../../services/factors/totp.service.js';
import { passwordSignInAllowed } from '../../services/identity/sso.js';
import { markReauthenticated } from '../../services/session.service.js';
import { type FormBody, field, type Viewer } from './request.js';
import { sendPage } from './respond.js';
import { confirmPasswordView } from './views/auth.view.js';
import type { WebDeps } from './web.plugin.js';

/**
 * Re-authentication ("sudo mode"): a stolen session cookie must not be enough to mint a lasting
 * token, change how the account signs in, or act as an admin. Such forms need the session to
 * have proven who it is within `reauth_minutes` (a sign-in counts); otherwise the proof comes
 * with the form, in a field of the form itself or from the confirmation page, which posts the
 * original form again (or, for a round trip to the identity provider, keeps it server-side and
 * offers it again on return: identity/oidc.routes.ts).
 */
export const SUDO_FIELD = 'sudo_password';
/** The code of the user's authenticator app, which comes with the password (a passkey confirms alone, through /me/sudo/passkey). */
export const SUDO_CODE_FIELD = 'sudo_code';

/**
 * A way to re-authenticate inside the form itself. The password is the first; second factors
 * (TOTP, passkeys) add theirs to `reauthMethods`. `confirm` answers null when the form carries
 * nothing for it, true when the proof is right, and throws ReauthNeeded when it is wrong.
 */
export interface ReauthMethod {
  readonly id: string;
  confirm(deps: WebDeps, request: FastifyRequest, viewer: Viewer, form: FormBody): Promise<boolean | null>;
}

/**
 * The password, plus the account's second factor when it has one (a code of its authenticator
 * app; an account with passkeys only confirms with a passkey, through /me/sudo/passkey): the
 * same proof a sign-in needs, never less.
 */
const passwordMethod: ReauthMethod = {
  id: 'password',
  async confirm(deps, request, viewer, form) {
    const password = field(form, SUDO_FIELD);
    if (password === '') return null;
    const { ctx } = deps.runtime;
    if (!passwordSignInAllowed(ctx, viewer.actor.login)) {
      throw new ReauthNeeded(unauthorized(`passwords are turned off on this registry: confirm with ${ctx.config.oidcName} instead`));
    }
    const factors = await factorSummary(ctx, viewer.actor.userId);
    if (!factors.totp && factors.passkeys.length > 0) throw new ReauthNeeded(unauthorized('this account signs in with a passkey as well: confirm with the passkey'));
    const code = field(form, SUDO_CODE_FIELD);
    if (factors.totp && code === '') throw new ReauthNeeded(unauthorized('enter the code of your authenticator app as well as the password'));
    let ok: boolean;
    try {
      ok = await deps.passwords.confirm(ctx, viewer.actor, password, { address: request.ip });
      if (!ok) throw new ReauthNeeded(unauthorized('the password is not right'));
      if (factors.totp && !(await deps.factorThrottle.check(viewer.actor.login, request.ip, () => verifyTotp(ctx, viewer.actor.userId, code)))) {
        throw new ReauthNeeded(unauthorized('that code is not right, or was used already'));
      }
    } catch (err) {
      if (err instanceof ReauthNeeded) throw err;
      if (err instanceof AppError && (err.status === 429 || err.status === 503)) throw new ReauthNeeded(err);
      throw err;
    }
    return true;
  },
};

export const reauthMethods: ReauthMethod[] = [passwordMethod];

/** Refusal of a sensitive form without a recent authentication: answered with the confirmation page. */
export class ReauthNeeded extends AppError {
  constructor(readonly refusal: AppError | null) {
    super(refusal?.code ?? 'forbidden', refusal?.detail ?? 'confirm who you are to continue', refusal?.headers ?? {});
  }
}

/** Lets the form through when the window is open, or opens it with a proof the form carries. */
export async function requireSudo(deps: WebDeps, request: FastifyRequest, viewer: Viewer, form: FormBody): Promise<void> {
  if (viewer.sudo) return;
  for (const method of reauthMethods) {
    if ((await method.confirm(deps, request, viewer, form)) === true) {
      await openSudoWindow(deps, viewer);
      return;
    }
  }
  throw new ReauthNeeded(null);
}

/** Opens the window for the session, and for the rest of this request (whose cached viewer is this object). */
export async function openSudoWindow(deps: WebDeps, viewer: Viewer): Promise<void> {
  const { ctx } = deps.runtime;
  await markReauthenticated(ctx, viewer.cookie);
  viewer.sudo = true;
  viewer.sudoUntil = new Date(ctx.clock.now().getTime() + ctx.config.reauthMinutes * 60_000);
}

/** The fields of a form to carry through a confirmation, without its CSRF token and proofs. */
export function carriedFields(body: FormBody): Array<[string, string]> {
  const carried: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(body)) {
    if (name === '_csrf' || name === SUDO_FIELD || name === SUDO_CODE_FIELD) continue;
    for (const one of Array.isArray(value) ? value : [value]) carried.push([name, one]);
  }
  return carried;
}

/** Which proofs the confirmation page offers the viewer: the password, and the provider when an identity is linked. */
export async function confirmMethods(deps: WebDeps, viewer: Viewer): Promise<{ password: boolean; sso: string | null }> {
  const { ctx } = deps.runtime;
  const linked = deps.sso ? (await listOidcIdentities(ctx.db, { userId: viewer.actor.userId, issuer: deps.sso.client.issuer })).length > 0 : false;
  return { password: passwordSignInAllowed(ctx, viewer.actor.login), sso: linked && deps.sso ? deps.sso.name : null };
}

/**
 * The confirmation page for a refused form: it posts the same fields to the same address, with
 * the password added, so the user goes on with what they were doing; or, when the account has a
 * linked identity, sends them through the provider first.
 */
export async function sendConfirmPage(deps: WebDeps, err: ReauthNeeded, viewer: Viewer, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { ctx } = deps.runtime;
  const page = confirmPasswordView(
    { viewer, allowSignup: ctx.config.allowSignup },
    {
      csrf: viewer.csrf,
      action: request.url,
      carried: carriedFields((request.body ?? {}) as FormBody),
      minutes: ctx.config.reauthMinutes,
      error: err.refusal?.detail ?? null,
      ...(await confirmMethods(deps, viewer)),
      factors: await factorSummary(ctx, viewer.actor.userId),
    },
  );
  return sendPage(reply, err.status, page, { noStore: true, headers: { ...err.headers } });
}
