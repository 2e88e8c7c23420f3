import type { FastifyInstance } from 'fastify';
import { forbidden } from '../../core/errors.js';
import { deleteCrate } from '../../services/crate-deletion/crate-deletion.service.js';
import { crateRemoved, type Runtime } from '../../services/runtime.js';
import { requireSession } from '../session.js';
import * as R from './schemas/responses.js';

/**
 * DELETE /api/v1/crates/{name}: an owner deletes a crate, under the `crate_deletion` rule. As on
 * crates.io only a signed-in browser session may (with its CSRF header, and a recent password
 * like every destructive form); an API token, even an owner's, never may. `?message=` is kept
 * with the deletion. Answers 204.
 */
export async function crateDeleteRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  const { ctx } = runtime;

  app.delete<{ Params: { name: string }; Querystring: { message?: unknown } }>('/api/v1/crates/:name', { schema: R.noContent }, async (request, reply) => {
    if (request.headers.authorization) throw forbidden('crates are deleted by a signed-in owner, not with an API token');
    const actor = await requireSession(ctx, request, { write: true, sudo: true });
    const message = typeof request.query.message === 'string' ? request.query.message : null;
    const deleted = await deleteCrate(ctx, { actor, via: 'api' }, 'owner', request.params.name, { message });
    await crateRemoved(runtime, deleted.crate);
    request.log.warn({ crate: deleted.crate, versions: deleted.versions, user: actor.login, files_left: deleted.filesLeft }, 'crate deleted');
    return reply.code(204).send();
  });
}
