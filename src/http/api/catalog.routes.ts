import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { keywordDocument, keywordList, meDocument, myUpdates, siteMetadata, summary, userDocument } from '../../services/catalog.service.js';
import { categoryDocument, categoryList, categorySlugs } from '../../services/category.service.js';
import type { Runtime } from '../../services/runtime.js';
import { authorizeRead, requireActor } from '../auth.js';
import * as R from './schemas/responses.js';

/** The version of this build, from package.json (two folders up from src/ and from dist/ alike). */
export const WHARF_VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

type Query = Record<string, unknown>;

/** Registry-wide API documents in crates.io's shapes: summary, keywords, users, the caller. */
export async function catalogRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  const { ctx } = runtime;

  app.get('/api/v1/site_metadata', { schema: R.reply(R.siteMetadataAnswer) }, async () => siteMetadata(ctx, WHARF_VERSION));

  app.get('/api/v1/summary', { schema: R.reply(R.summaryAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return summary(ctx);
  });

  app.get('/api/v1/keywords', { schema: R.reply(R.keywordsAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return keywordList(ctx, request.query as Query);
  });

  app.get<{ Params: { keyword: string } }>('/api/v1/keywords/:keyword', { schema: R.reply(R.keywordAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return keywordDocument(ctx, request.params.keyword);
  });

  app.get('/api/v1/categories', { schema: R.reply(R.categoriesAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return categoryList(ctx, request.query as Query);
  });

  app.get<{ Params: { slug: string } }>('/api/v1/categories/:slug', { schema: R.reply(R.categoryAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return categoryDocument(ctx, request.params.slug);
  });

  app.get('/api/v1/category_slugs', { schema: R.reply(R.categorySlugsAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return categorySlugs(ctx);
  });

  app.get<{ Params: { login: string } }>('/api/v1/users/:login', { schema: R.reply(R.userAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return userDocument(ctx, request.params.login);
  });

  app.get('/api/v1/me', { schema: R.reply(R.meAnswer) }, async (request) => meDocument(ctx, await requireActor(ctx, request)));

  app.get('/api/v1/me/updates', { schema: R.reply(R.myUpdatesAnswer) }, async (request) => myUpdates(ctx, await requireActor(ctx, request), request.query as Query));
}
