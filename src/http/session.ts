import type { FastifyRequest } from 'fastify';
import { forbidden } from '../core/errors.js';
import type { Actor } from '../services/actor.js';
import type { ServiceContext } from '../services/context.js';
import { checkCsrf, requireSessionActor, SESSION_COOKIE, sessionActor } from '../services/session.service.js';

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
 * The signed-in browser user. API tokens are refused here: a token, leaked or not, must never
 * be able to mint or manage other tokens. Writes also need the session's CSRF token.
 */
export async function requireSession(ctx: ServiceContext, request: FastifyRequest, { write }: { write: boolean }): Promise<Actor> {
  const value = readCookie(request, SESSION_COOKIE);
  if (!value && request.headers.authorization) {
    throw forbidden(`API tokens cannot manage tokens; sign in at ${ctx.config.publicUrl}/me`);
  }
  const actor = requireSessionActor(value ? await sessionActor(ctx, value) : null);
  if (write) checkCsrf(value!, request.headers['x-csrf-token'] as string | undefined);
  return actor;
}
