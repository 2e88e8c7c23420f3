import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../services/context.js';
import { authorizeRead, loginChallenge } from '../auth.js';
import { sendApiError } from '../errors.js';
import { indexCacheControl } from './index-file.js';

/**
 * The `config.json` of a sparse index at `url`. On an auth-required registry a request without
 * a token gets the 401 challenge that makes cargo send one (RFC 3139), and every read needs a
 * token allowed to read.
 */
export function indexConfigRoute(app: FastifyInstance, ctx: ServiceContext, url: string, config: Record<string, unknown>): void {
  const body = JSON.stringify(config);
  const cacheControl = indexCacheControl(ctx.config);
  app.get(url, async (request, reply) => {
    if (ctx.config.authRequired && !request.headers.authorization) {
      return sendApiError(reply, 401, `this registry requires authentication; create a token at ${ctx.config.publicUrl}/me`, loginChallenge(ctx));
    }
    await authorizeRead(ctx, request);
    return reply.header('cache-control', cacheControl).type('application/json').send(body);
  });
}
