import type { FastifyInstance } from 'fastify';
import { AppError, crateNotFound, unauthorized } from '../../core/errors.js';
import { findCrateByCanonicalName } from '../../db/repositories/crate.repository.js';
import { deleteCrate, ownerDeletionCheck } from '../../services/crate-deletion/crate-deletion.service.js';
import { crateRemoved } from '../../services/runtime.js';
import { checkSessionForm, field, formOf, type Viewer, viewerOf } from './request.js';
import { redirect, sendPage } from './respond.js';
import { requireSudo } from './sudo.js';
import { crateDeletedView, crateDeleteView } from './views/crate-delete.view.js';
import type { WebDeps } from './web.plugin.js';

type Params = { Params: { name: string } };

/** An owner deletes their crate: the same rule as the API, behind a recent password and the typed name. */
export async function crateDeleteWebRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { ctx } = deps.runtime;
  const shellOf = (viewer: Viewer) => ({ viewer, allowSignup: ctx.config.allowSignup });
  const pathOf = (name: string) => `/crates/${encodeURIComponent(name)}/settings/delete`;

  const load = async (name: string) => {
    const crate = await findCrateByCanonicalName(ctx.db, name);
    if (!crate) throw crateNotFound(name);
    return crate;
  };

  app.get<Params>('/crates/:name/settings/delete', async (request, reply) => {
    const viewer = await viewerOf(ctx, request);
    if (!viewer) return redirect(reply, `/login?next=${encodeURIComponent(pathOf(request.params.name))}`);
    const crate = await load(request.params.name);
    const refusal = await ownerDeletionCheck(ctx, { actor: viewer.actor }, crate);
    return sendPage(reply, 200, crateDeleteView(shellOf(viewer), { crate: crate.name, csrf: viewer.csrf, refusal }), { noStore: true });
  });

  app.post<Params>('/crates/:name/settings/delete', async (request, reply) => {
    const viewer = await viewerOf(ctx, request);
    if (!viewer) throw unauthorized('your session has ended: sign in again');
    const form = formOf(request);
    checkSessionForm(viewer, form);
    const crate = await load(request.params.name);
    const again = (status: number, error: string) =>
      sendPage(reply, status, crateDeleteView(shellOf(viewer), { crate: crate.name, csrf: viewer.csrf, refusal: null, error }), { noStore: true });
    if (field(form, 'confirm_name').trim() !== crate.name) return again(400, `type the crate's name, ${crate.name}, to confirm`);
    await requireSudo(deps, request, viewer, form);
    try {
      const deleted = await deleteCrate(ctx, { actor: viewer.actor, via: 'web' }, 'owner', crate.name, { message: field(form, 'message') });
      await crateRemoved(deps.runtime, deleted.crate);
      request.log.warn({ crate: deleted.crate, versions: deleted.versions, user: viewer.actor.login, files_left: deleted.filesLeft }, 'crate deleted');
      return sendPage(reply, 200, crateDeletedView(shellOf(viewer), deleted), { noStore: true });
    } catch (err) {
      if (!(err instanceof AppError) || (err.status !== 403 && err.status !== 422 && err.status !== 400)) throw err;
      return again(err.status, err.detail);
    }
  });
}
