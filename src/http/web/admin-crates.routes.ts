import type { FastifyInstance, FastifyReply } from 'fastify';
import { byteSize } from '../../config/config.js';
import { AppError, badRequest, crateNotFound } from '../../core/errors.js';
import { findCrateByCanonicalName, listVersionKeys } from '../../db/repositories/crate.repository.js';
import { listDeletedCrates } from '../../db/repositories/deletion.repository.js';
import { deleteCrate, deleteVersion } from '../../services/crate-deletion/crate-deletion.service.js';
import { limitsOf, setCrateLimits } from '../../services/crate-limits.service.js';
import { crateRemoved } from '../../services/runtime.js';
import { adminGuards } from './admin-guard.js';
import { field, type Viewer } from './request.js';
import { redirect, sendPage } from './respond.js';
import { adminCratesView } from './views/admin-crates.view.js';
import type { WebDeps } from './web.plugin.js';

type Params = { Params: { name: string } };
const SHOWN_VERSIONS = 100;

/** /admin/crates: one crate's publish limits (as `wharf crate limits`) and its deletion or a version's (as `wharf crate delete`). */
export async function adminCrateRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { ctx } = deps.runtime;
  const { admin, adminPost } = adminGuards(deps);

  const show = async (reply: FastifyReply, viewer: Viewer, status: number, query: string, extra: { notice?: unknown; error?: string | null } = {}) => {
    const row = query === '' ? undefined : await findCrateByCanonicalName(ctx.db, query);
    const error = extra.error ?? (query !== '' && !row ? crateNotFound(query).detail : null);
    const keys = row ? await listVersionKeys(ctx.db, row.id) : [];
    const crate = row
      ? {
          name: row.name,
          limits: limitsOf(ctx, row),
          overrides: { maxFeatures: row.max_features, maxUploadSize: row.max_upload_size },
          versions: keys.slice(-SHOWN_VERSIONS).reverse().map((k) => k.num),
          numVersions: keys.length,
        }
      : null;
    const page = adminCratesView({ viewer, allowSignup: ctx.config.allowSignup }, { csrf: viewer.csrf, crate, query, deleted: await listDeletedCrates(ctx.db, 50), notice: extra.notice, error });
    return sendPage(reply, error && status === 200 ? 404 : status, page, { noStore: true });
  };
  const pageOf = (name: string, notice: string) => `/admin/crates?name=${encodeURIComponent(name)}&notice=${notice}`;

  app.get('/admin/crates', async (request, reply) => {
    const viewer = await admin(request, reply);
    if (!viewer) return reply;
    const q = request.query as { name?: unknown; notice?: unknown };
    return show(reply, viewer, 200, typeof q.name === 'string' ? q.name.trim().slice(0, 64) : '', { notice: q.notice });
  });

  app.post<Params>('/admin/crates/:name/limits', async (request, reply) => {
    const posted = await adminPost(request, reply);
    if (!posted) return reply;
    try {
      const { crate } = await setCrateLimits(ctx, { actor: posted.viewer.actor, via: 'web' }, request.params.name, {
        maxFeatures: optional(field(posted.form, 'max_features'), (v) => (/^\d+$/.test(v) ? Number(v) : NaN)),
        maxUploadSize: optional(field(posted.form, 'max_upload_size'), byteSize),
      });
      return redirect(reply, pageOf(crate, 'limits'));
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 400) throw err;
      return show(reply, posted.viewer, 400, request.params.name, { error: err.detail });
    }
  });

  app.post<Params>('/admin/crates/:name/delete', async (request, reply) => {
    const posted = await adminPost(request, reply);
    if (!posted) return reply;
    const { viewer, form } = posted;
    const crate = await findCrateByCanonicalName(ctx.db, request.params.name);
    if (!crate) throw crateNotFound(request.params.name);
    if (field(form, 'confirm_name').trim() !== crate.name) {
      return show(reply, viewer, 400, crate.name, { error: `type the crate's name, ${crate.name}, to confirm` });
    }
    const by = { actor: viewer.actor, via: 'web' };
    const version = field(form, 'version').trim();
    const message = field(form, 'message');
    if (version !== '') {
      const done = await deleteVersion(ctx, by, crate.name, version, { message });
      await crateRemoved(deps.runtime, done.crate);
      return redirect(reply, done.crateDeleted ? '/admin/crates?notice=deleted' : pageOf(done.crate, 'version-deleted'));
    }
    const done = await deleteCrate(ctx, by, 'admin', crate.name, { message });
    await crateRemoved(deps.runtime, done.crate);
    request.log.warn({ crate: done.crate, versions: done.versions, user: viewer.actor.login, files_left: done.filesLeft }, 'crate deleted');
    return redirect(reply, '/admin/crates?notice=deleted');
  });
}

/** Empty: back to the registry's setting (null); anything else parsed, a bad value a 400. */
function optional(value: string, parse: (v: string) => number): number | null {
  const text = value.trim();
  if (text === '') return null;
  let n: number;
  try {
    n = parse(text);
  } catch (err) {
    throw badRequest(`\`${text}\` ${(err as Error).message}`);
  }
  if (!Number.isFinite(n)) throw badRequest(`\`${text}\` is not a whole number`);
  return n;
}
