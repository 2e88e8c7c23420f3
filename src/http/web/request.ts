import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, badRequest, forbidden, unauthorized } from '../../core/errors.js';
import { unstorableProblem } from '../../core/storable-text.js';
import type { Actor } from '../../services/actor.js';
import type { ServiceContext } from '../../services/context.js';
import { checkCsrf, csrfTokenFor, liveSession, reauthUntil, recentlyAuthenticated, SESSION_COOKIE } from '../../services/session.service.js';
import { cookieName, readCookie } from '../session.js';
import { addCookie } from './respond.js';

/** The signed-in browser user of a web request. */
export interface Viewer {
  actor: Actor;
  /** The session cookie's value (never rendered). */
  cookie: string;
  /** The session's CSRF token, put in every form. */
  csrf: string;
  /** Whether the password was proven recently enough for tokens and admin actions (sudo.ts). */
  sudo: boolean;
  /** When that window closes (null: it never opened). */
  sudoUntil: Date | null;
}

/** Before sign-in there is no session: the login and sign-up forms are tied to this cookie instead. */
const PRE_SESSION_COOKIE = 'wharf_csrf';
const COOKIE_VALUE = /^[A-Za-z0-9_-]{20,100}$/;

const viewers = new WeakMap<FastifyRequest, Viewer | null>();

/** The signed-in user, or null. Looked up once per request. A locked account counts as signed out. */
export async function viewerOf(ctx: ServiceContext, request: FastifyRequest): Promise<Viewer | null> {
  if (viewers.has(request)) return viewers.get(request)!;
  const cookie = readCookie(request, cookieName(ctx.config, SESSION_COOKIE));
  let viewer: Viewer | null = null;
  if (cookie && COOKIE_VALUE.test(cookie)) {
    try {
      const session = await liveSession(ctx, cookie);
      if (session) viewer = { actor: session.actor, cookie, csrf: csrfTokenFor(cookie), sudo: recentlyAuthenticated(ctx, session), sudoUntil: reauthUntil(ctx, session) };
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'forbidden')) throw err;
    }
  }
  viewers.set(request, viewer);
  return viewer;
}

/** Forgets the cached viewer (after sign-in or sign-out in the same request). */
export function setViewer(request: FastifyRequest, viewer: Viewer | null): void {
  viewers.set(request, viewer);
}

/**
 * The CSRF token for the sign-in and sign-up forms, setting their cookie when the browser has
 * none. It is an HMAC of the cookie under the server's key: someone who can plant a cookie in a
 * victim's browser (a sibling subdomain, a plain-http page) still cannot compute the token for it.
 */
export function preSessionCsrf(ctx: ServiceContext, key: Buffer, request: FastifyRequest, reply: FastifyReply): string {
  const name = cookieName(ctx.config, PRE_SESSION_COOKIE);
  let value = readCookie(request, name);
  if (!value || !COOKIE_VALUE.test(value)) {
    value = randomBytes(24).toString('base64url');
    addCookie(ctx, reply, name, value, { maxAgeSeconds: 24 * 3600 });
  }
  return preSessionToken(key, value);
}

const preSessionToken = (key: Buffer, cookie: string) => createHmac('sha256', key).update(`pre-session:${cookie}`, 'utf8').digest('base64url');

export type FormBody = Record<string, string | string[]>;

/** Parses an application/x-www-form-urlencoded body (repeated names become arrays). */
/** A form body; a field holding text the database cannot store is refused (400) here, for every form. */
export function parseForm(text: string): FormBody {
  const out: FormBody = {};
  for (const [key, value] of new URLSearchParams(text)) {
    if (unstorableProblem(key)) throw badRequest(`a form field name ${unstorableProblem(key)}`);
    const problem = unstorableProblem(value);
    if (problem) throw badRequest(`the form field \`${key}\` ${problem}`);
    const seen = out[key];
    out[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

export function formOf(request: FastifyRequest): FormBody {
  const body = request.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('expected a form submission');
  return body as FormBody;
}

/** The first value of a form field, or ''. */
export function field(form: FormBody, name: string): string {
  const v = form[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

export function fields(form: FormBody, name: string): string[] {
  const v = form[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Refuses a form of a signed-in user that lacks the session's CSRF token (403, nothing changed). */
export function checkSessionForm(viewer: Viewer, form: FormBody): void {
  checkCsrf(viewer.cookie, field(form, '_csrf'));
}

/** Refuses a sign-in or sign-up form that does not carry the token of this browser's pre-session cookie. */
export function checkPreSessionForm(ctx: ServiceContext, key: Buffer, request: FastifyRequest, form: FormBody): void {
  const value = readCookie(request, cookieName(ctx.config, PRE_SESSION_COOKIE));
  const expected = Buffer.from(preSessionToken(key, value && COOKIE_VALUE.test(value) ? value : randomBytes(24).toString('base64url')));
  const given = Buffer.from(field(form, '_csrf'));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw forbidden('missing or wrong CSRF token: reload the page and try again');
  }
}

/** A local path to go back to after sign-in; anything else (other hosts, `//x`, `/\x`) becomes /me. */
export function safeNext(next: string | undefined): string {
  if (!next || next.length > 500 || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/me';
  return /^[\x21-\x7e]*$/.test(next) ? next : '/me';
}

/** The signed-in user of a form post, whose CSRF token must be in the form. */
export async function sessionForm(ctx: ServiceContext, request: FastifyRequest): Promise<{ viewer: Viewer; form: FormBody }> {
  const viewer = await viewerOf(ctx, request);
  if (!viewer) throw unauthorized('your session has ended: sign in again');
  const form = formOf(request);
  checkSessionForm(viewer, form);
  return { viewer, form };
}
