import type { FastifyInstance } from 'fastify';
import { readCrateFile } from '../../services/crate-cache/read-crate-file.js';
import { getCrate, parseInclude } from '../../services/crate-doc.js';
import { describeVersion, getCrateVersions, getVersion } from '../../services/crate-query.service.js';
import { parseSearchQuery } from '../../services/search-query.js';
import { searchCrates } from '../../services/search.service.js';
import { changeOwners, getOwners } from '../../services/owner.service.js';
import { indexChanged, type Runtime } from '../../services/runtime.js';
import { parseVersionPageQuery } from '../../services/version-pages.js';
import { setYanked, updateYank, type YankUpdate } from '../../services/yank.service.js';
import { badRequest } from '../../core/errors.js';
import { authorizeRead, requireActor } from '../auth.js';
import { sendApiError } from '../errors.js';
import { downloadHeaders, downloadUrl, redirectToFile, wantsDownloadUrl } from './download-answer.js';
import * as R from './schemas/responses.js';

type CrateParams = { Params: { name: string } };
type VersionParams = { Params: { name: string; version: string } };

/** The crates.io-compatible API that cargo and tools use, below /api/v1/crates. */
export async function crateRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  const { ctx } = runtime;

  app.get('/api/v1/crates', { schema: R.reply(R.searchAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return searchCrates(ctx, parseSearchQuery(request.query as Record<string, unknown>));
  });

  app.get<CrateParams>('/api/v1/crates/:name', { schema: R.reply(R.crateAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return getCrate(ctx, request.params.name, parseInclude((request.query as { include?: unknown }).include));
  });

  app.get<CrateParams>('/api/v1/crates/:name/versions', { schema: R.reply(R.versionsAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return getCrateVersions(ctx, request.params.name, parseVersionPageQuery(request.query as Record<string, unknown>));
  });

  app.get<VersionParams>('/api/v1/crates/:name/:version', { schema: R.reply(R.versionAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return getVersion(ctx, request.params.name, request.params.version);
  });

  app.get<VersionParams>('/api/v1/crates/:name/:version/download', { schema: { response: { 200: R.downloadAnswer } } }, async (request, reply) => {
    await authorizeRead(ctx, request);
    const { name, version } = request.params;
    const asksUrl = wantsDownloadUrl(request.headers.accept);
    // A redirect is not followed by Wharf, so its location is confirmed in the database first.
    const redirecting = ctx.config.downloads === 'redirect' && !asksUrl;
    const found = await (redirecting ? runtime.downloadLocations.confirm(name, version) : runtime.downloadLocations.locate(name, version));
    let { crateId, versionId, key } = found;
    if (asksUrl) return { url: downloadUrl(ctx.config, name, version) };
    // Checked, found and counted like any download; only the bytes come from the bucket.
    const redirect = await redirectToFile(ctx, key, found.crate, found.num);
    if (redirect) {
      runtime.downloads.record(crateId, versionId);
      return reply.code(302).headers(redirect.headers).send();
    }
    let file = await readCrateFile(ctx.blobs, runtime.crateFiles, key);
    if (!file) {
      // A remembered location can be stale when the version was deleted (404 now) or deleted and
      // published again (another file); ask the database once more.
      runtime.downloadLocations.forget(name);
      ({ crateId, versionId, key } = await runtime.downloadLocations.locate(name, version));
      file = await readCrateFile(ctx.blobs, runtime.crateFiles, key);
    }
    if (!file) {
      request.log.error({ key }, 'a recorded version has no file');
      return sendApiError(reply, 500, 'the file of this version is missing from storage; an administrator has to restore it');
    }
    runtime.downloads.record(crateId, versionId);
    return reply.headers(downloadHeaders(ctx.config, name, version, file.size)).send(file.bytes ?? file.stream);
  });

  app.delete<VersionParams>('/api/v1/crates/:name/:version/yank', { schema: R.reply(R.okAnswer) }, async (request) => {
    const actor = await requireActor(ctx, request);
    const name = await runtime.publishLimits.guard(actor, 'yank', () => setYanked(ctx, actor, request.params.name, request.params.version, true));
    await indexChanged(runtime, name);
    request.log.info({ event: 'crate.yank', crate: name, version: request.params.version, user: actor.login }, 'yanked');
    return { ok: true };
  });

  app.put<VersionParams>('/api/v1/crates/:name/:version/unyank', { schema: R.reply(R.okAnswer) }, async (request) => {
    const actor = await requireActor(ctx, request);
    const name = await runtime.publishLimits.guard(actor, 'yank', () => setYanked(ctx, actor, request.params.name, request.params.version, false));
    await indexChanged(runtime, name);
    request.log.info({ event: 'crate.unyank', crate: name, version: request.params.version, user: actor.login }, 'unyanked');
    return { ok: true };
  });

  // crates.io's yank with a message: {"version":{"yanked":true,"yank_message":"..."}}.
  app.patch<VersionParams>('/api/v1/crates/:name/:version', { schema: R.reply(R.versionAnswer) }, async (request) => {
    const actor = await requireActor(ctx, request);
    const update = yankUpdateOf(request.body);
    const { crate, version } = await runtime.publishLimits.guard(actor, 'yank', () =>
      updateYank(ctx, actor, request.params.name, request.params.version, update),
    );
    await indexChanged(runtime, crate.name);
    const event = version.yanked ? 'crate.yank' : 'crate.unyank';
    request.log.info({ event, crate: crate.name, version: version.num, user: actor.login }, version.yanked ? 'yanked' : 'unyanked');
    return { version: await describeVersion(ctx, crate, version) };
  });

  app.get<CrateParams>('/api/v1/crates/:name/owners', { schema: R.reply(R.ownersAnswer) }, async (request) => {
    await authorizeRead(ctx, request);
    return { users: await getOwners(ctx, request.params.name) };
  });

  for (const [method, add] of [['PUT', true], ['DELETE', false]] as const) {
    app.route<CrateParams>({
      method,
      url: '/api/v1/crates/:name/owners',
      schema: R.reply(R.ownersChangedAnswer),
      handler: async (request) => {
        const actor = await requireActor(ctx, request);
        const body = request.body as { users?: unknown; owners?: unknown } | undefined;
        // Invitation tokens (result.invitations) are for a mail to the invitee; never in the answer.
        const { msg } = await changeOwners(ctx, actor, request.params.name, body?.users ?? body?.owners, add);
        request.log.info({ event: add ? 'owner.add' : 'owner.remove', crate: request.params.name, user: actor.login }, msg);
        return { ok: true, msg };
      },
    });
  }
}

function yankUpdateOf(body: unknown): YankUpdate {
  const version = (body as { version?: unknown } | null)?.version;
  if (typeof version !== 'object' || version === null || Array.isArray(version)) {
    throw badRequest('expected a body like {"version":{"yanked":true,"yank_message":"why"}}');
  }
  const { yanked, yank_message: message } = version as { yanked?: unknown; yank_message?: unknown };
  if (yanked !== undefined && yanked !== null && typeof yanked !== 'boolean') throw badRequest('`version.yanked` must be true or false');
  if (message !== undefined && message !== null && typeof message !== 'string') throw badRequest('`version.yank_message` must be a string or null');
  return { yanked: yanked ?? undefined, message: message as string | null | undefined };
}
