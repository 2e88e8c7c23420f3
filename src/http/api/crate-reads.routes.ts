import type { FastifyInstance } from 'fastify';
import { getVersionReadme, loadCrateVersion } from '../../services/crate-query.service.js';
import { reverseDependencies, versionDependencies } from '../../services/dependency-query.service.js';
import { crateDownloads, versionDownloads } from '../../services/download-stats.service.js';
import { getTeamOwners, getUserOwners } from '../../services/owner.service.js';
import type { Runtime } from '../../services/runtime.js';
import { authorizeRead } from '../auth.js';
import * as R from './schemas/responses.js';

type CrateParams = { Params: { name: string } };
type VersionParams = { Params: { name: string; version: string } };
type Query = Record<string, unknown>;

/** crates.io's read-only documents around a crate and its versions: dependencies, downloads, README, owners. */
export async function crateReadRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  const { ctx } = runtime;

  app.get<VersionParams>('/api/v1/crates/:name/:version/dependencies', { schema: R.reply(R.dependenciesAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return versionDependencies(ctx, request.params.name, request.params.version);
  });

  app.get<VersionParams>('/api/v1/crates/:name/:version/downloads', { schema: R.reply(R.versionDownloadsAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return versionDownloads(ctx, request.params.name, request.params.version, request.query as Query);
  });

  app.get<VersionParams>('/api/v1/crates/:name/:version/readme', { schema: { response: { 200: R.readmeAnswer } } }, async (request, reply) => {
    await authorizeRead(ctx, request);
    const html = await getVersionReadme(ctx, request.params.name, request.params.version);
    return reply.type('text/html; charset=utf-8').send(await runtime.images.prepareHtml(html));
  });

  // Deprecated on crates.io, which answers it empty for every version.
  app.get<VersionParams>('/api/v1/crates/:name/:version/authors', { schema: R.reply(R.authorsAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    await loadCrateVersion(ctx, request.params.name, request.params.version);
    return { users: [], meta: { names: [] } };
  });

  app.get<CrateParams>('/api/v1/crates/:name/downloads', { schema: R.reply(R.crateDownloadsAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return crateDownloads(ctx, request.params.name, request.query as Query);
  });

  app.get<CrateParams>('/api/v1/crates/:name/reverse_dependencies', { schema: R.reply(R.reverseDependenciesAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return reverseDependencies(ctx, request.params.name, request.query as Query);
  });

  app.get<CrateParams>('/api/v1/crates/:name/owner_user', { schema: R.reply(R.ownersAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return { users: await getUserOwners(ctx, request.params.name) };
  });

  app.get<CrateParams>('/api/v1/crates/:name/owner_team', { schema: R.reply(R.teamsAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return { teams: await getTeamOwners(ctx, request.params.name) };
  });
}
