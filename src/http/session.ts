import type { FastifyRequest } from 'fastify';
import { forbidden } from '../core/errors.js';
import type { Actor } from '../services/actor.js';
import type { ServiceContext } from '../services/context.js';
import { checkCsrf, liveSession, reauthRequired, recentlyAuthenticated, requireSessionActor, SESSION_COOKIE } from '../services/session.service.js';
import type { Config } from '../config/config.js';

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const raw = part.slice(eq + 1).trim();
      // A malformed %-escape is a client's garbage, not a server fault: kept raw, it names no session (401, not 500).
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return undefined;
}

/**
 * The name of one of Wharf's cookies. On an https registry it carries the `__Host-` prefix, which
 * browsers accept only from a secure origin, with Path=/ and no Domain: a sibling subdomain or a
 * plain-http page cannot plant or overwrite it.
 */
export function cookieName(config: Pick<Config, 'publicUrl'>, base: string): string {
  return config.publicUrl.startsWith('https:') ? `__Host-${base}` : base;
}

/**
 * The signed-in browser user. API tokens are refused here: a token, leaked or not, must never
 * be able to mint or manage other tokens. Writes also need the session's CSRF token, and the
 * sensitive ones (`sudo`) a recent sign-in or re-entered password.
 */
export async function requireSession(ctx: ServiceContext, request: FastifyRequest, { write, sudo = false }: { write: boolean; sudo?: boolean }): Promise<Actor> {
  const value = readCookie(request, cookieName(ctx.config, SESSION_COOKIE));
  if (!value && request.headers.authorization) {
    throw forbidden(`API tokens cannot manage tokens; sign in at ${ctx.config.publicUrl}/me`);
  }
  const session = value ? await liveSession(ctx, value) : null;
  const actor = requireSessionActor(session?.actor ?? null);
  if (write) checkCsrf(value!, request.headers['x-csrf-token'] as string | undefined);
  if (sudo && !recentlyAuthenticated(ctx, session!)) throw reauthRequired(ctx);
  return actor;
}
