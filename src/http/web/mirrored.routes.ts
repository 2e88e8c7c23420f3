import type { FastifyInstance } from 'fastify';
import { mirrorEnabled } from '../../config/config.js';
import { searchMirrored } from '../../services/mirror/mirror-browse.service.js';
import { readerFor } from './browse.routes.js';
import type { Viewer } from './request.js';
import { sendPage } from './respond.js';
import { mirroredCrateView, mirroredSearchView } from './views/mirrored.view.js';
import type { WebDeps } from './web.plugin.js';

/** The mirrored public crates, browsed apart from the private ones: `/mirrored` and `/mirrored/{name}`. */
export async function mirroredRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { ctx, mirror } = deps.runtime;
  if (!mirrorEnabled(ctx.config) || !mirror) return;
  const reader = readerFor(ctx);
  const shell = (viewer: Viewer | null) => ({ viewer, allowSignup: ctx.config.allowSignup });

  app.get('/mirrored', async (request, reply) => {
    const r = await reader(request, reply);
    if (!r) return reply;
    const q = (request.query as { q?: unknown }).q;
    const query = typeof q === 'string' ? q.slice(0, 200) : '';
    return sendPage(reply, 200, mirroredSearchView(shell(r.viewer), query, await searchMirrored(ctx, query)), { noStore: r.viewer !== null });
  });

  app.get<{ Params: { name: string } }>('/mirrored/:name', async (request, reply) => {
    const r = await reader(request, reply);
    if (!r) return reply;
    const page = await mirror.pages.page(request.params.name);
    return sendPage(reply, 200, mirroredCrateView(shell(r.viewer), page, ctx.config.registryName), { noStore: r.viewer !== null });
  });
}
