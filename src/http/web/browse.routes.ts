import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { cratePage, homeData, userPage } from '../../services/browse.service.js';
import type { ServiceContext } from '../../services/context.js';
import { readmeFromCrate } from '../../services/readme/readme-input.js';
import { parseSearchQuery } from '../../services/search-query.js';
import { searchCrates } from '../../services/search.service.js';
import { parseTablePage } from '../../services/version-pages.js';
import { type Viewer, viewerOf } from './request.js';
import { redirect, sendPage } from './respond.js';
import { homeView, searchView, userView } from './views/browse.view.js';
import { crateView } from './views/crate.view.js';
import type { WebDeps } from './web.plugin.js';

const PER_PAGE = 20;

/** The viewer, or a redirect to sign in when the registry is private (then reading needs an account). */
export function readerFor(ctx: ServiceContext) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<{ viewer: Viewer | null } | null> => {
    const viewer = await viewerOf(ctx, request);
    if (ctx.config.authRequired && !viewer) {
      redirect(reply, `/login?next=${encodeURIComponent(request.url)}`);
      return null;
    }
    return { viewer };
  };
}

/** The pages for finding and judging crates: home, search, crate, user. */
export async function browseRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { ctx } = deps.runtime;
  const { config } = ctx;

  const reader = readerFor(ctx);
  const shell = (viewer: Viewer | null) => ({ viewer, allowSignup: config.allowSignup });

  app.get('/', async (request, reply) => {
    const r = await reader(request, reply);
    if (!r) return reply;
    const page = homeView(shell(r.viewer), await homeData(ctx), config.registryName);
    return sendPage(reply, 200, page, { noStore: r.viewer !== null });
  });

  app.get('/search', async (request, reply) => {
    const r = await reader(request, reply);
    if (!r) return reply;
    const raw = request.query as Record<string, unknown>;
    const query = parseSearchQuery({ q: raw.q, sort: raw.sort, page: raw.page, per_page: PER_PAGE });
    const result = await searchCrates(ctx, query);
    return sendPage(reply, 200, searchView(shell(r.viewer), query, result), { noStore: r.viewer !== null });
  });

  const showCrate = async (request: FastifyRequest<{ Params: { name: string; version?: string } }>, reply: FastifyReply) => {
    const r = await reader(request, reply);
    if (!r) return reply;
    const tablePage = parseTablePage((request.query as Record<string, unknown>).page);
    const page = await cratePage(ctx, request.params.name, request.params.version, tablePage);
    // The shown version's own README; rendered once in a worker, never here.
    const { readmes, images } = deps.runtime;
    const prepared = await readmes.forVersion(page.version.id, () => readmeFromCrate(ctx, page.crate, page.version, page.isHighest));
    const readme = prepared ? await images.prepareHtml(prepared.html) : null;
    return sendPage(reply, 200, crateView(shell(r.viewer), page, readme, config.registryName), { noStore: r.viewer !== null });
  };
  app.get<{ Params: { name: string } }>('/crates/:name', showCrate);
  app.get<{ Params: { name: string; version: string } }>('/crates/:name/:version', showCrate);

  app.get<{ Params: { login: string } }>('/users/:login', async (request, reply) => {
    const r = await reader(request, reply);
    if (!r) return reply;
    const page = await userPage(ctx, request.params.login);
    return sendPage(reply, 200, userView(shell(r.viewer), page), { noStore: r.viewer !== null });
  });
}
