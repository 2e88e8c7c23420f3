import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../../services/runtime.js';
import { downloadHeaders, redirectToFile } from '../api/download-answer.js';
import { authorizeRead } from '../auth.js';
import { indexConfigRoute } from '../index/config-route.js';
import { sendApiError } from '../errors.js';
import { answerIndexFile, crateOfIndexPath, indexCacheControl } from '../index/index-file.js';

type DownloadParams = { Params: { name: string; version: string } };

/**
 * The mirror of the upstream registry: a second sparse index under /mirror/index/ whose
 * config.json sends cargo's downloads to /mirror/api/v1/crates, apart from the private
 * crates' /index/ so a private name is never confused with a public one. Reads need a token
 * exactly when private reads do.
 */
export async function mirrorRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  const { ctx, mirror } = runtime;
  if (!mirror) return;
  const { config } = ctx;
  const cacheControl = indexCacheControl(config);

  indexConfigRoute(app, ctx, '/mirror/index/config.json', { dl: `${config.publicUrl}/mirror/api/v1/crates`, 'auth-required': config.authRequired });

  app.get('/mirror/index/*', async (request: FastifyRequest<{ Params: { '*': string } }>, reply: FastifyReply) => {
    await authorizeRead(ctx, request);
    const path = request.params['*'];
    const name = crateOfIndexPath(path);
    if (name === null) return sendApiError(reply, 404, `no index file at /mirror/index/${path}`);
    const found = await mirror.index.get(name);
    if (found.warning) request.log.warn({ crate: name, staleSeconds: found.staleSeconds }, found.warning);
    const answer = answerIndexFile(found.entry, request.headers['accept-encoding'], request.headers['if-none-match'], cacheControl);
    if (found.staleSeconds !== null) answer.headers['wharf-mirror-stale'] = String(found.staleSeconds);
    return reply.code(answer.status).headers(answer.headers).send(answer.body ?? undefined);
  });

  app.get<DownloadParams>('/mirror/api/v1/crates/:name/:version/download', async (request, reply) => {
    await authorizeRead(ctx, request);
    const { name, version } = request.params;
    // A version already stored (its row read now: `wharf mirror remove` may have dropped it from
    // another process) goes to the bucket like a private one; a first download, or one removed
    // since, is fetched from the upstream, checked and sent by Wharf as always.
    const stored = config.downloads === 'redirect' ? await mirror.crates.storedKey(name, version) : null;
    const redirect = stored === null ? null : await redirectToFile(ctx, stored, name, version);
    if (redirect) {
      mirror.crates.counted(name, version, true);
      return reply.code(302).headers(redirect.headers).send();
    }
    const file = await mirror.crates.get(name, version);
    return reply.headers(downloadHeaders(config, name, version, file.size)).send(file.body);
  });
}
