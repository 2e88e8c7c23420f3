import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../services/runtime.js';
import { authorizeRead } from '../auth.js';
import { type FastPath, type FastPathOptions, fastGet, mayReadAtOnce } from '../fast-path.js';
import * as R from './schemas/responses.js';

export const STATIC_AUTH_PATH = '/api/v1/static-auth';

/**
 * How long nginx (proxy_cache keyed on the Authorization header) may reuse a yes: a revoked token
 * keeps reading the static copy for at most this long. `private`, so no shared cache between a
 * client and Wharf (one that ignores `Vary`) hands one token's yes to another request; nginx's
 * `auth_request` cache is told to keep it anyway (`proxy_ignore_headers Cache-Control` with
 * `proxy_cache_valid 204 5s`, README).
 */
const ALLOWED_HEADERS = { 'cache-control': 'private, max-age=5', vary: 'Authorization' };

/**
 * GET /api/v1/static-auth: the check behind nginx's `auth_request` in front of the static copy
 * of a private index (README, "Serving the index from nginx or a CDN"). 204 when the request's
 * Authorization header carries a token that may read; otherwise the refusal /index/ would give
 * (401 with cargo's login challenge, which nginx passes on, or 403). On an open registry, 204.
 */
export async function staticAuthRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  app.get(STATIC_AUTH_PATH, { schema: R.noContent }, async (request, reply) => {
    await authorizeRead(runtime.ctx, request);
    return reply.code(204).headers(ALLOWED_HEADERS).send();
  });
}

/**
 * The same answer before Fastify when the token's row is known current (the index fast path's
 * check): nginx asks this once per request it has not cached, so it must cost what an index hit does.
 */
export function staticAuthFastPath(runtime: Runtime, options: FastPathOptions): FastPath {
  return fastGet(STATIC_AUTH_PATH, options, (url, request) =>
    url === STATIC_AUTH_PATH && mayReadAtOnce(runtime.ctx, request) ? { status: 204, headers: { ...ALLOWED_HEADERS }, body: null } : null,
  );
}
