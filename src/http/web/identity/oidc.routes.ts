import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as client from 'openid-client';
import { AppError, badRequest, forbidden, notFound, unauthorized } from '../../../core/errors.js';
import { insertPendingForm, takePendingForm } from '../../../db/repositories/identity.repository.js';
import { accountForSignIn, identityBelongsTo, linkIdentity, type ProvenIdentity } from '../../../services/identity/oidc-account.service.js';
import type { Sso } from '../../../services/identity/sso.js';
import { sessionHash } from '../../../services/session.service.js';
import { cookieName, readCookie } from '../../session.js';
import { signIn } from '../auth.routes.js';
import { field, safeNext, type Viewer, viewerOf, sessionForm } from '../request.js';
import { addCookie, clearCookie, redirect, sendPage } from '../respond.js';
import { holdForSecondFactor, landingAfterSignIn } from '../second-factor.js';
import { carriedFields, openSudoWindow, requireSudo } from '../sudo.js';
import { continueFormView, toProviderView } from '../views/auth.view.js';
import { errorView } from '../views/error.view.js';
import type { WebDeps } from '../web.plugin.js';

/**
 * Single sign-on: the authorization code flow with PKCE against the configured OpenID Connect
 * provider, for three purposes: signing in, linking an identity to the signed-in account, and
 * re-authenticating (prompt=login, max_age=0) before a sensitive form. What the callback must
 * check (state, PKCE verifier, nonce, purpose) travels in a short-lived cookie sealed under a
 * server key, so any instance can finish a flow another started.
 */
const STATE_COOKIE = 'wharf_oidc';
const STATE_MINUTES = 10;
/** A re-authentication must be this fresh at the provider (its `auth_time`). */
const REAUTH_MAX_AGE_SECONDS = 120;
const FORM_MAX_CHARS = 16 * 1024;

type Purpose = 'login' | 'link' | 'reauth';

interface FlowState {
  state: string;
  verifier: string;
  nonce: string;
  purpose: Purpose;
  next: string;
  /** The account a link or re-authentication is for. */
  userId?: number;
  /** The pending form (its id) a re-authentication resumes. */
  form?: string;
  expires: number;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hhmm = (d: Date) => `${d.toISOString().slice(11, 16)} UTC`;

export async function oidcRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { ctx } = deps.runtime;
  const sso = deps.sso;
  const stateCookie = cookieName(ctx.config, STATE_COOKIE);
  const callbackUrl = `${ctx.config.publicUrl}/login/oidc/callback`;

  const need = (): Sso => {
    if (!sso) throw notFound('single sign-on is not set up on this registry');
    return sso;
  };

  /** A refusal page for the flow, logged with its reason (never a token, code or state). */
  const refuse = (request: FastifyRequest, reply: FastifyReply, err: AppError, viewer: Viewer | null) => {
    request.log.warn({ status: err.status, reason: err.detail }, 'single sign-on refused');
    return sendPage(reply, err.status, errorView({ viewer, allowSignup: ctx.config.allowSignup }, err.status, err.detail), { noStore: true });
  };

  const start = async (request: FastifyRequest, reply: FastifyReply, flow: Omit<FlowState, 'state' | 'verifier' | 'nonce' | 'expires'>) => {
    const s = need();
    const state: FlowState = {
      ...flow,
      state: client.randomState(),
      verifier: client.randomPKCECodeVerifier(),
      nonce: client.randomNonce(),
      expires: ctx.clock.now().getTime() + STATE_MINUTES * 60_000,
    };
    let url: URL;
    try {
      url = await s.client.authorizationUrl({
        redirect_uri: callbackUrl,
        scope: ctx.config.oidcScopes.join(' '),
        code_challenge: await client.calculatePKCECodeChallenge(state.verifier),
        code_challenge_method: 'S256',
        state: state.state,
        nonce: state.nonce,
        ...(flow.purpose === 'login' ? {} : { prompt: 'login', max_age: '0' }),
      });
    } catch (err) {
      if (err instanceof AppError) return refuse(request, reply, err, await viewerOf(ctx, request));
      throw err;
    }
    addCookie(ctx, reply, stateCookie, await s.sealState(JSON.stringify(state)), { maxAgeSeconds: STATE_MINUTES * 60 });
    if (request.method === 'GET') return redirect(reply, url.href);
    const viewer = await viewerOf(ctx, request);
    return sendPage(reply, 200, toProviderView({ viewer, allowSignup: ctx.config.allowSignup }, { url: url.href, name: s.name }), { noStore: true });
  };

  const poster = (request: FastifyRequest) => sessionForm(ctx, request);

  app.get('/login/oidc', async (request, reply) => {
    need();
    const next = safeNext((request.query as { next?: string }).next);
    return start(request, reply, { purpose: 'login', next });
  });

  // Linking changes how the account signs in: it needs a recent proof, and is done at the provider with prompt=login.
  app.post('/login/oidc/link', async (request, reply) => {
    need();
    const { viewer, form } = await poster(request);
    await requireSudo(deps, request, viewer, form);
    return start(request, reply, { purpose: 'link', next: '/me', userId: viewer.actor.userId });
  });

  // Re-authentication at the provider for a refused form: the form is kept here until the return.
  app.post('/login/oidc/reauth', async (request, reply) => {
    need();
    const { viewer, form } = await poster(request);
    const action = safeNext(field(form, '_action'));
    const carried = carriedFields(form).filter(([name]) => name !== '_action');
    const fields = JSON.stringify(carried);
    if (fields.length > FORM_MAX_CHARS) throw badRequest('this form is too large to keep during the confirmation; confirm first at /confirm-password');
    const id = randomBytes(24).toString('base64url');
    await insertPendingForm(ctx.db, {
      idHash: sha256(id),
      sessionHash: sessionHash(viewer.cookie),
      action,
      fields,
      expiresAt: new Date(ctx.clock.now().getTime() + STATE_MINUTES * 60_000).toISOString(),
    });
    return start(request, reply, { purpose: 'reauth', next: action, userId: viewer.actor.userId, form: id });
  });

  app.get('/login/oidc/callback', async (request, reply) => {
    const s = need();
    const viewer = await viewerOf(ctx, request);
    const sealed = readCookie(request, stateCookie);
    clearCookie(ctx, reply, stateCookie);
    const opened = sealed ? await s.openState(sealed) : null;
    const flow = opened ? (JSON.parse(opened) as FlowState) : null;
    try {
      if (!flow || flow.expires < ctx.clock.now().getTime()) {
        throw badRequest('This sign-in was started too long ago or in another browser. Start again.');
      }
      const current = new URL(request.url, callbackUrl);
      const { claims, refreshToken } = await s.client.exchange(current, {
        state: flow.state,
        verifier: flow.verifier,
        nonce: flow.nonce,
        ...(flow.purpose === 'reauth' ? { maxAge: REAUTH_MAX_AGE_SECONDS } : {}),
      });
      const proven: ProvenIdentity = { issuer: s.client.issuer, claims, sealedRefreshToken: refreshToken ? await s.sealRefreshToken(refreshToken) : null };
      if (flow.purpose === 'login') {
        const user = await accountForSignIn(ctx, proven);
        const next = safeNext(flow.next);
        // The provider stands in for the password only: an account's own second factor is still asked for.
        if (await holdForSecondFactor(ctx, request, reply, user, 'oidc', next)) return redirect(reply, '/login/two-factor');
        await signIn(ctx, request, reply, user, 'oidc');
        request.log.info({ login: user.login }, 'signed in with single sign-on');
        return redirect(reply, await landingAfterSignIn(ctx, user.id, next));
      }
      if (!viewer || viewer.actor.userId !== flow.userId) throw unauthorized('your session has ended: sign in again');
      if (flow.purpose === 'link') {
        await linkIdentity(ctx, viewer.actor.userId, proven);
        return redirect(reply, '/me?notice=identity-linked');
      }
      if (!(await identityBelongsTo(ctx, viewer.actor.userId, s.client.issuer, claims))) {
        throw forbidden('You confirmed with an identity that is not linked to this account.');
      }
      await openSudoWindow(deps, viewer);
      const pending = flow.form ? await takePendingForm(ctx.db, sha256(flow.form), sessionHash(viewer.cookie), ctx.clock.now().toISOString()) : undefined;
      if (!pending) return redirect(reply, safeNext(flow.next));
      const page = continueFormView(
        { viewer, allowSignup: ctx.config.allowSignup },
        { csrf: viewer.csrf, action: safeNext(pending.action), carried: JSON.parse(pending.fields) as Array<[string, string]>, until: hhmm(viewer.sudoUntil!) },
      );
      return sendPage(reply, 200, page, { noStore: true });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      return refuse(request, reply, err, viewer);
    }
  });
}
