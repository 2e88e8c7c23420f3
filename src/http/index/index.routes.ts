import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { indexPath } from '../../core/index-line.js';
import type { Runtime } from '../../services/runtime.js';
import { authorizeRead, loginChallenge } from '../auth.js';
import { sendApiError } from '../errors.js';

/** The sparse index (RFC 2789) under /index/: config.json and one file per crate. */
export async function indexRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  const { ctx } = runtime;
  const { config } = ctx;
  const configJson = JSON.stringify({ dl: `${config.publicUrl}/api/v1/crates`, api: config.publicUrl, 'auth-required': config.authRequired });
  const cacheControl = config.authRequired ? 'private, no-cache' : 'public, max-age=0, must-revalidate';

  app.get('/index/config.json', async (request, reply) => {
    if (config.authRequired && !request.headers.authorization) {
      return sendApiError(reply, 401, `this registry requires authentication; create a token at ${config.publicUrl}/me`, loginChallenge(ctx));
    }
    await authorizeRead(ctx, request);
    return reply.header('cache-control', cacheControl).type('application/json').send(configJson);
  });

  app.get('/index/*', async (request: FastifyRequest<{ Params: { '*': string } }>, reply: FastifyReply) => {
    await authorizeRead(ctx, request);
    const path = request.params['*'];
    const name = path.slice(path.lastIndexOf('/') + 1);
    // Only the canonical prefix path of a plausible crate name can exist; anything else is a miss.
    if (!/^[a-z][a-z0-9_-]{0,63}$/.test(name) || indexPath(name) !== path) {
      return sendApiError(reply, 404, `no index file at /index/${path}`);
    }
    const entry = await runtime.index.get(name);
    if (!entry) return sendApiError(reply, 404, `crate \`${name}\` does not exist`);

    const gzip = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
    const etag = gzip ? entry.gzipEtag : entry.etag;
    reply.header('etag', etag).header('cache-control', cacheControl).header('vary', 'Accept-Encoding');
    const inm = request.headers['if-none-match'];
    if (inm && (inm.includes(entry.etag) || inm.includes(entry.gzipEtag) || inm.trim() === '*')) {
      return reply.code(304).send();
    }
    reply.type('text/plain; charset=utf-8');
    if (gzip) return reply.header('content-encoding', 'gzip').send(entry.gzip);
    return reply.send(entry.body);
  });
}
