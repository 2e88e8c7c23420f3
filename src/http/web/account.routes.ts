import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, badRequest } from '../../core/errors.js';
import { parseCratePatterns, parseScopes } from '../../core/scopes.js';
import { changeOwnPassword } from '../../services/account.service.js';
import { mailSettings } from '../../services/mail/mail-settings.service.js';
import { factorSummary } from '../../services/factors/factors.service.js';
import { SESSION_COOKIE, SESSION_DAYS } from '../../services/session.service.js';
import { createToken, listTokens, revokeAllTokens, revokeToken, type TokenSpec } from '../../services/token.service.js';
import { cookieName } from '../session.js';
import { field, fields, type FormBody, safeNext, type Viewer, viewerOf, sessionForm } from './request.js';
import { addCookie, redirect, sendPage } from './respond.js';
import { accountSectionsOf } from './identity/session.routes.js';
import { confirmMethods, requireSudo } from './sudo.js';
import { confirmPasswordView } from './views/auth.view.js';
import { confirmRevokeMineView, EXPIRY_PRESETS, type ExpiryPreset, type TokenFormState, type TokensPage, tokenCreatedView, tokensView } from './views/tokens.view.js';
import type { WebDeps } from './web.plugin.js';

/** Reads the token form; the state is kept to show the form again when it is refused. */
function readTokenForm(form: FormBody): { state: TokenFormState; spec: () => TokenSpec } {
  const expiry = field(form, 'expiry');
  const state: TokenFormState = {
    name: field(form, 'name'),
    scopes: fields(form, 'scopes'),
    crates: field(form, 'crates'),
    expiry: (EXPIRY_PRESETS as readonly string[]).includes(expiry) ? (expiry as ExpiryPreset) : '90',
    customDays: field(form, 'custom_days'),
  };
  const spec = (): TokenSpec => {
    if (state.scopes.length === 0) throw badRequest('choose at least one allowed action');
    const conflict = expiryConflict(state);
    if (conflict) throw badRequest(conflict);
    let expiresInDays: number | null = null;
    if (state.expiry === 'custom') {
      if (!/^\d{1,5}$/.test(state.customDays.trim())) throw badRequest('enter the custom expiry as a number of days');
      expiresInDays = Number(state.customDays.trim());
    } else if (state.expiry !== 'none') {
      expiresInDays = Number(state.expiry);
    }
    try {
      return { name: state.name, scopes: parseScopes(state.scopes), cratePatterns: parseCratePatterns(state.crates), expiresInDays };
    } catch (err) {
      throw badRequest((err as Error).message);
    }
  };
  return { state, spec };
}

/**
 * The form has two expiry fields: a preset and a number of days for "Custom". Days typed beside
 * another preset are a contradiction the user must settle; picking either silently would give a
 * token a lifetime its owner did not mean.
 */
export function expiryConflict(state: Pick<TokenFormState, 'expiry' | 'customDays'>): string | null {
  const days = state.customDays.trim();
  if (state.expiry === 'custom' || days === '') return null;
  const chosen = state.expiry === 'none' ? '“Never”' : `${state.expiry} days`;
  return `the expiry says ${chosen} but ${days} custom days were also entered: choose “Custom” to use the days, or clear them`;
}

/** The /me pages: the token table and form, the new token shown once, and the password. */
export async function accountRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { ctx } = deps.runtime;
  const { config } = ctx;
  const shellOf = (viewer: Viewer) => ({ viewer, allowSignup: config.allowSignup });

  const poster = (request: FastifyRequest) => sessionForm(ctx, request);

  const tokensPage = async (viewer: Viewer, extra: Partial<TokensPage> = {}): Promise<TokensPage> => ({
    csrf: viewer.csrf,
    nonce: deps.nonces.issue(),
    tokens: await listTokens(ctx, viewer.actor.userId),
    mail: await mailSettings(ctx, viewer.actor.userId),
    sections: await accountSectionsOf(deps, viewer),
    ...extra,
  });
  const showTokens = async (reply: FastifyReply, viewer: Viewer, status: number, extra: Partial<TokensPage> = {}) =>
    sendPage(reply, status, tokensView(shellOf(viewer), await tokensPage(viewer, extra)), { noStore: true });

  for (const path of ['/me', '/settings/tokens']) {
    app.get(path, async (request, reply) => {
      const viewer = await viewerOf(ctx, request);
      if (!viewer) return redirect(reply, `/login?next=${encodeURIComponent(path)}`);
      const query = request.query as { notice?: unknown; email_error?: unknown };
      const emailError = query.email_error === 'invalid' ? 'That is not an e-mail address Wharf accepts (name@host, at most 200 characters).' : null;
      return showTokens(reply, viewer, 200, { notice: query.notice, emailError });
    });
  }

  // The answer to this POST is the only place the token ever appears: not in a URL, not in a
  // later page, and not in any cache (no-store).
  app.post('/me/tokens', async (request, reply) => {
    const { viewer, form } = await poster(request);
    // Before the nonce is used up, so the confirmation page can send the same form again.
    await requireSudo(deps, request, viewer, form);
    const { state, spec } = readTokenForm(form);
    const nonce = field(form, 'nonce');
    if (nonce === '') throw badRequest('the form is incomplete: reload the page and try again');
    if (!(await deps.nonces.consume(nonce))) {
      return showTokens(reply, viewer, 409, { tokenError: 'This form was already sent, and its token was shown then (it is never shown again). Create another token if you need one.' });
    }
    try {
      const { token, view } = await createToken(ctx, viewer.actor.userId, spec(), viewer.actor);
      return sendPage(reply, 200, tokenCreatedView(shellOf(viewer), { token, view, registryName: config.registryName, publicUrl: config.publicUrl }), {
        noStore: true,
      });
    } catch (err) {
      // 403: the registry's second-factor policy refused the token (factors.service.ts).
      if (!(err instanceof AppError) || ![400, 403, 409].includes(err.status)) throw err;
      return showTokens(reply, viewer, err.status, { form: state, tokenError: err.detail });
    }
  });

  app.post<{ Params: { id: string } }>('/me/tokens/:id/revoke', async (request, reply) => {
    const { viewer } = await poster(request);
    const id = Number(request.params.id);
    if (!Number.isSafeInteger(id) || id < 1) throw badRequest('a token id is a positive integer');
    await revokeToken(ctx, { actor: viewer.actor }, id, 'revoked by its owner', viewer.actor.userId);
    return redirect(reply, '/me?notice=revoked');
  });

  // Like the admin's switch, in two steps: a page that says what happens, then a post that carries the confirmation.
  app.get('/me/tokens/revoke-all', async (request, reply) => {
    const viewer = await viewerOf(ctx, request);
    if (!viewer) return redirect(reply, `/login?next=${encodeURIComponent('/me')}`);
    const live = (await listTokens(ctx, viewer.actor.userId)).filter((t) => t.state === 'active').length;
    return sendPage(reply, 200, confirmRevokeMineView(shellOf(viewer), { csrf: viewer.csrf, liveTokens: live }), { noStore: true });
  });

  app.post('/me/tokens/revoke-all', async (request, reply) => {
    const { viewer, form } = await poster(request);
    if (field(form, 'confirm') !== 'yes') {
      const live = (await listTokens(ctx, viewer.actor.userId)).filter((t) => t.state === 'active').length;
      return sendPage(reply, 200, confirmRevokeMineView(shellOf(viewer), { csrf: viewer.csrf, liveTokens: live }), { noStore: true });
    }
    await requireSudo(deps, request, viewer, form);
    await revokeAllTokens(ctx, { actor: viewer.actor }, { userId: viewer.actor.userId }, 'revoked by its owner (all tokens)');
    return redirect(reply, '/me?notice=revoked-all');
  });

  app.post('/me/password', async (request, reply) => {
    const { viewer, form } = await poster(request);
    try {
      const change = { current: field(form, 'current'), next: field(form, 'next'), confirm: field(form, 'confirm'), revokeTokens: field(form, 'revoke_tokens') === 'yes' };
      // The current password is guessed here as at sign-in (by whoever holds a stolen session): the same limits apply.
      const { cookie } = await changeOwnPassword(ctx, viewer.actor, change, (password) =>
        deps.passwords.confirm(ctx, viewer.actor, password, { address: request.ip }),
      );
      addCookie(ctx, reply, cookieName(config, SESSION_COOKIE), cookie, { maxAgeSeconds: SESSION_DAYS * 86_400 });
      return redirect(reply, `/me?notice=${change.revokeTokens ? 'password-changed-tokens-revoked' : 'password-changed'}`);
    } catch (err) {
      if (!(err instanceof AppError) || ![400, 429, 503].includes(err.status)) throw err;
      return sendPage(reply, err.status, tokensView(shellOf(viewer), await tokensPage(viewer, { passwordError: err.detail })), {
        noStore: true,
        headers: { ...err.headers },
      });
    }
  });

  // Re-authentication on its own, for the API's refusals, which send users here.
  app.get('/confirm-password', async (request, reply) => {
    const next = safeNext((request.query as { next?: string }).next);
    const viewer = await viewerOf(ctx, request);
    if (!viewer) return redirect(reply, `/login?next=${encodeURIComponent(next)}`);
    const page = confirmPasswordView(shellOf(viewer), {
      csrf: viewer.csrf,
      action: '/confirm-password',
      carried: [['next', next]],
      minutes: config.reauthMinutes,
      ...(await confirmMethods(deps, viewer)),
      factors: await factorSummary(ctx, viewer.actor.userId),
    });
    return sendPage(reply, 200, page, { noStore: true });
  });

  app.post('/confirm-password', async (request, reply) => {
    const { viewer, form } = await poster(request);
    await requireSudo(deps, request, viewer, form);
    return redirect(reply, safeNext(field(form, 'next')));
  });
}
