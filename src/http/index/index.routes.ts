import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../../services/runtime.js';
import { sparseIndexConfig } from '../../services/static-index/static-index.service.js';
import { authorizeRead } from '../auth.js';
import { indexConfigRoute } from './config-route.js';
import { sendApiError } from '../errors.js';
import { answerIndexFile, crateOfIndexPath, indexCacheControl } from './index-file.js';

/**
 * The sparse index (RFC 2789) under /index/: config.json and one file per crate. Most reads of a
 * crate file are answered before they reach Fastify, by the fast path (index-fast-path.ts) on a
 * listening server; this route answers everything else, and every read made through inject().
 */
export async function indexRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  const { ctx } = runtime;
  const { config } = ctx;
  const cacheControl = indexCacheControl(config);

  indexConfigRoute(app, ctx, '/index/config.json', sparseIndexConfig(config));

  app.get('/index/*', async (request: FastifyRequest<{ Params: { '*': string } }>, reply: FastifyReply) => {
    await authorizeRead(ctx, request);
    const path = request.params['*'];
    const name = crateOfIndexPath(path);
    if (name === null) return sendApiError(reply, 404, `no index file at /index/${path}`);
    const entry = await runtime.index.get(name);
    if (!entry) return sendApiError(reply, 404, `crate \`${name}\` does not exist`);

    const answer = answerIndexFile(entry, request.headers['accept-encoding'], request.headers['if-none-match'], cacheControl);
    return reply.code(answer.status).headers(answer.headers).send(answer.body ?? undefined);
  });
}
