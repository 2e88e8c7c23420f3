import type { FastifyInstance } from 'fastify';
import { CrateSources } from '../../services/readme/crate-source.service.js';
import { readerFor } from './browse.routes.js';
import type { WebDeps } from './web.plugin.js';

/** Nothing a file of a .crate holds may run or load anything, even opened on its own. */
const FILE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/**
 * `GET /crates/{name}/{version}/source/{path}`: a file of the published .crate, for the
 * relative links and images of its README (services/readme/crate-source.service.ts decides the
 * type: never HTML, SVG only as an image).
 */
export async function crateSourceRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { ctx } = deps.runtime;
  const reader = readerFor(ctx);
  const sources = new CrateSources(ctx);
  app.get<{ Params: { name: string; version: string; '*': string } }>('/crates/:name/:version/source/*', async (request, reply) => {
    const r = await reader(request, reply);
    if (!r) return reply;
    const { name, version } = request.params;
    const file = await sources.file(name, version, request.params['*']);
    return reply
      .headers({
        'x-content-type-options': 'nosniff',
        'content-security-policy': FILE_CSP,
        'content-disposition': file.disposition,
        'cache-control': r.viewer ? 'private, max-age=3600' : 'public, max-age=3600',
      })
      .type(file.contentType)
      .send(file.body);
  });
}
