import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import { PasswordProvider } from '../../services/identity.service.js';
import { createSso, type Sso } from '../../services/identity/sso.js';
import { oidcRoutes } from './identity/oidc.routes.js';
import { sessionRoutes } from './identity/session.routes.js';
import { LoginThrottle } from '../../services/login-throttle.js';
import { SharedWindow } from '../../services/shared-state/shared-limits.js';
import { serverKey } from '../../services/server-secret.service.js';
import type { Runtime } from '../../services/runtime.js';
import { accountRoutes } from './account.routes.js';
import { adminRoutes } from './admin.routes.js';
import { ASSETS } from './assets.js';
import { authRoutes } from './auth.routes.js';
import { FACTOR_ASSETS } from './factor-assets.js';
import { factorRoutes } from './factors.routes.js';
import { factorLoginRoutes } from './factor-login.routes.js';
import { browseRoutes } from './browse.routes.js';
import { invitationWebRoutes } from './invitations.routes.js';
import { emailRoutes } from './email.routes.js';
import { crateSourceRoutes } from './crate-source.routes.js';
import { mirroredRoutes } from './mirrored.routes.js';
import { passwordResetRoutes } from './password-reset.routes.js';
import { trustpubWebRoutes } from './trustpub.routes.js';
import { crateDeleteWebRoutes } from './crate-delete.routes.js';
import { adminCrateRoutes } from './admin-crates.routes.js';
import { FormNonces } from './form-nonce.js';
import { parseForm, viewerOf } from './request.js';
import { SECURITY_HEADERS, sendPage } from './respond.js';
import { ReauthNeeded, sendConfirmPage } from './sudo.js';
import { errorView } from './views/error.view.js';

/** What the page routes share: the services' context and the web's in-memory helpers. */
export interface WebDeps {
  runtime: Runtime;
  /** Password checks (sign-in, password change, re-authentication) per account and address. */
  throttle: LoginThrottle;
  /** Sign-up attempts per client address. */
  signups: SharedWindow;
  passwords: PasswordProvider;
  nonces: FormNonces;
  /** The key of the sign-in and sign-up forms' CSRF tokens (kept in the database, shared by instances). */
  csrfKey: () => Promise<Buffer>;
  /** Single sign-on, when `oidc_issuer` is set. */
  sso: Sso | null;
  /** Second-factor codes (sign-in, re-authentication), limited like passwords but counted apart. */
  factorThrottle: LoginThrottle;
}

/** Sign-up attempts allowed per client address in an hour (when sign-up is open at all). */
const SIGNUPS_PER_HOUR = 10;

/** Forms are small; anything bigger is not one of ours. */
const FORM_LIMIT = 64 * 1024;

/**
 * The HTML pages, as their own encapsulated plugin: forms are parsed here only, and errors
 * render as pages, while the API beside it keeps its JSON envelope.
 */
export async function webRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  // Every limit and single-use id here is counted in the shared store, by all instances together.
  const { shared, ctx } = runtime;
  const throttle = new LoginThrottle(shared, ctx.clock);
  const deps: WebDeps = {
    runtime,
    throttle,
    signups: new SharedWindow(shared, ctx.clock, 'signups', SIGNUPS_PER_HOUR, 60 * 60_000),
    passwords: new PasswordProvider(throttle),
    nonces: new FormNonces(shared, ctx.clock),
    csrfKey: serverKey(ctx, 'pre-session-csrf'),
    sso: createSso(ctx),
    factorThrottle: new LoginThrottle(shared, ctx.clock, undefined, 'factor'),
  };

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_request, body, done) => {
    try {
      done(null, parseForm(String(body)));
    } catch (err) {
      done(err as Error);
    }
  });
  app.setErrorHandler((err: FastifyError | Error, request, reply) => webErrorHandler(deps, err, request, reply));

  for (const asset of [...ASSETS, ...FACTOR_ASSETS]) {
    app.get(asset.path, async (_request, reply) =>
      reply
        .headers({ 'x-content-type-options': 'nosniff', 'cache-control': 'public, max-age=31536000, immutable' })
        .type(asset.type)
        .send(asset.body),
    );
  }

  await app.register(browseRoutes, deps);
  await app.register(crateSourceRoutes, deps);
  await app.register(mirroredRoutes, deps);
  await app.register(authRoutes, deps);
  await app.register(passwordResetRoutes, deps);
  await app.register(accountRoutes, deps);
  await app.register(emailRoutes, deps);
  await app.register(adminRoutes, deps);
  await app.register(trustpubWebRoutes, deps);
  await app.register(invitationWebRoutes, deps);
  await app.register(crateDeleteWebRoutes, deps);
  await app.register(adminCrateRoutes, deps);
  await app.register(oidcRoutes, deps);
  await app.register(sessionRoutes, deps);
  await app.register(factorRoutes, deps);
  await app.register(factorLoginRoutes, deps);
}

async function webErrorHandler(deps: WebDeps, err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { ctx } = deps.runtime;
  const shell = { allowSignup: ctx.config.allowSignup };
  if (err instanceof AppError) {
    if (err.status >= 500) request.log.error({ err, cause: err.cause }, 'page failed');
    else request.log.debug({ status: err.status, code: err.code }, 'page refused');
    // The nav shows who is signed in, unless that lookup is what failed.
    const viewer = await viewerOf(ctx, request).catch(() => null);
    if (err instanceof ReauthNeeded && viewer) return await sendConfirmPage(deps, err, viewer, request, reply);
    return sendPage(reply, err.status, errorView({ ...shell, viewer }, err.status, err.detail), { headers: { ...err.headers }, noStore: true });
  }
  const status = (err as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return sendPage(reply, status, errorView({ ...shell, viewer: null }, status, err.message), { noStore: true });
  }
  request.log.error({ err }, 'unexpected error');
  return sendPage(reply, 500, errorView({ ...shell, viewer: null }, 500, `An unexpected error occurred. If it persists, tell an administrator the request id ${request.id}.`), {
    noStore: true,
  });
}

/** The 404 for any path outside the API and the index (set on the root app, which owns not-found handling). */
export function sendNotFoundPage(runtime: Runtime, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0] ?? '/';
  return sendPage(reply, 404, errorView({ viewer: null, allowSignup: runtime.ctx.config.allowSignup }, 404, `There is no page at ${path}.`), {
    headers: { ...SECURITY_HEADERS },
  });
}
