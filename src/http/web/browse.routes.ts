import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { cratePage, homeData, userPage } from '../../services/browse.service.js';
import type { ServiceContext } from '../../services/context.js';
import { readmeFromCrate } from '../../services/readme/readme-input.js';
import { parseSearchQuery } from '../../services/search-query.js';
import { searchCrates } from '../../services/search.service.js';
import { MAX_PAGE, pagingNumber } from '../../services/paging.js';
import { parseTablePage } from '../../services/version-pages.js';
import { crateExtras } from './crate-extras.js';
import { type Viewer, viewerOf } from './request.js';
import { redirect, sendPage } from './respond.js';
import { crateListing, homeView, searchView, userView } from './views/browse.view.js';
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
  const shell = (viewer: Viewer | null, request: FastifyRequest) => ({ viewer, allowSignup: config.allowSignup, here: request.url, now: ctx.clock.now().getTime() });

  app.get('/', async (request, reply) => {
    const r = await reader(request, reply);
    if (!r) return reply;
    const page = homeView(shell(r.viewer, request), await homeData(ctx), { registryName: config.registryName, publicUrl: config.publicUrl });
    return sendPage(reply, 200, page, { noStore: r.viewer !== null });
  });

  app.get('/search', async (request, reply) => {
    const r = await reader(request, reply);
    if (!r) return reply;
    const raw = request.query as Record<string, unknown>;
    const query = parseSearchQuery({ q: raw.q, sort: raw.sort, page: raw.page, per_page: PER_PAGE });
    const result = await searchCrates(ctx, query);
    return sendPage(reply, 200, searchView(shell(r.viewer, request), query, result), { noStore: r.viewer !== null });
  });

  // Every crate, or those of one keyword or category, with the search page's sorting and paging.
  app.get('/crates', async (request, reply) => {
    const r = await reader(request, reply);
    if (!r) return reply;
    const raw = request.query as Record<string, unknown>;
    const keyword = typeof raw.keyword === 'string' ? raw.keyword : null;
    const category = keyword === null && typeof raw.category === 'string' ? raw.category : null;
    const query = parseSearchQuery({ ...(keyword !== null ? { keyword } : {}), ...(category !== null ? { category } : {}), sort: raw.sort ?? 'alpha', page: raw.page, per_page: PER_PAGE });
    const result = await searchCrates(ctx, query);
    return sendPage(reply, 200, searchView(shell(r.viewer, request), query, result, crateListing(keyword, category)), { noStore: r.viewer !== null });
  });

  const showCrate = async (request: FastifyRequest<{ Params: { name: string; version?: string } }>, reply: FastifyReply) => {
    const r = await reader(request, reply);
    if (!r) return reply;
    const query = request.query as Record<string, unknown>;
    const tablePage = parseTablePage(query.page);
    const page = await cratePage(ctx, request.params.name, request.params.version, tablePage);
    const extras = await crateExtras(ctx, page.crate.name, pagingNumber(query.dependents_page, 'dependents_page', MAX_PAGE) ?? 1);
    // The shown version's own README; rendered once in a worker, never here.
    const { readmes, images } = deps.runtime;
    const prepared = await readmes.forVersion(page.version.id, () => readmeFromCrate(ctx, page.crate, page.version, page.isHighest));
    const readme = prepared ? await images.prepareHtml(prepared.html) : null;
    return sendPage(reply, 200, crateView(shell(r.viewer, request), page, readme, config.registryName, extras), { noStore: r.viewer !== null });
  };
  app.get<{ Params: { name: string } }>('/crates/:name', showCrate);
  app.get<{ Params: { name: string; version: string } }>('/crates/:name/:version', showCrate);

  app.get<{ Params: { login: string } }>('/users/:login', async (request, reply) => {
    const r = await reader(request, reply);
    if (!r) return reply;
    const page = await userPage(ctx, request.params.login);
    return sendPage(reply, 200, userView(shell(r.viewer, request), page), { noStore: r.viewer !== null });
  });
}
