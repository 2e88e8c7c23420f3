import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.js';
import type { ServiceContext } from '../../services/context.js';
import { CHALLENGE_MINUTES, putBrowserChallenge } from '../../services/factors/challenges.js';
import { hasSecondFactor, mustEnrol, takeResetNotice } from '../../services/factors/factors.service.js';
import type { VerifiedUser } from '../../services/identity.service.js';
import { cookieName, readCookie } from '../session.js';
import { addCookie, SECURITY_HEADERS } from './respond.js';

/**
 * The one hook of second factors in the sign-in flow. After any identity provider vouched for a
 * user (the password, so far), `holdForSecondFactor` decides whether a session may start now;
 * if the account has a factor, the browser gets a pending-login cookie instead, naming a
 * server-side step that lives a few minutes, and is sent to /login/two-factor.
 */
export const PENDING_COOKIE = 'wharf_pending';
const COOKIE_VALUE = /^[A-Za-z0-9_-]{20,100}$/;

export function pendingCookieOf(ctx: ServiceContext, request: FastifyRequest): string | null {
  const value = readCookie(request, cookieName(ctx.config, PENDING_COOKIE));
  return value && COOKIE_VALUE.test(value) ? value : null;
}

/** The browser's pending-login cookie, made when it has none. */
export function ensurePendingCookie(ctx: ServiceContext, request: FastifyRequest, reply: FastifyReply): string {
  const existing = pendingCookieOf(ctx, request);
  if (existing) return existing;
  const value = randomBytes(24).toString('base64url');
  addCookie(ctx, reply, cookieName(ctx.config, PENDING_COOKIE), value, { maxAgeSeconds: CHALLENGE_MINUTES * 60 });
  return value;
}

/** True when the user must still pass a second factor (the caller redirects to /login/two-factor). */
export async function holdForSecondFactor(ctx: ServiceContext, request: FastifyRequest, reply: FastifyReply, user: VerifiedUser, via: string, next: string): Promise<boolean> {
  if (!(await hasSecondFactor(ctx, user.id))) return false;
  // A fresh cookie for each password sign-in: a step begun elsewhere is never adopted.
  const value = randomBytes(24).toString('base64url');
  addCookie(ctx, reply, cookieName(ctx.config, PENDING_COOKIE), value, { maxAgeSeconds: CHALLENGE_MINUTES * 60 });
  await putBrowserChallenge(ctx, 'second-factor', value, { userId: user.id, challenge: null, detail: { via, next } });
  return true;
}

/**
 * Where a browser goes once its session started: the enrolment page when an administrator reset
 * the account's factors (told once) or when the registry requires a factor it lacks; else `next`.
 */
export async function landingAfterSignIn(ctx: ServiceContext, userId: number, next: string): Promise<string> {
  if (await takeResetNotice(ctx, userId)) return '/me/two-factor?notice=reset';
  if (await mustEnrol(ctx, userId)) return '/me/two-factor?notice=required';
  return next;
}

/** The JSON endpoints of passkeys answer errors as the API does, not as pages. */
export function sendJsonError(reply: FastifyReply, err: unknown): FastifyReply {
  if (!(err instanceof AppError)) throw err;
  return reply
    .code(err.status)
    .headers({ ...SECURITY_HEADERS, 'cache-control': 'no-store', ...err.headers })
    .type('application/json')
    .send({ errors: [{ detail: err.detail }] });
}

export function sendJson(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.code(200).headers({ ...SECURITY_HEADERS, 'cache-control': 'no-store' }).type('application/json').send(body);
}
