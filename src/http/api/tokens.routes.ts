import type { FastifyInstance } from 'fastify';
import { listAudit } from '../../db/repositories/audit.repository.js';
import type { Runtime } from '../../services/runtime.js';
import { revokeToken } from '../../services/token.service.js';
import { requireActor } from '../auth.js';

/** Token self-service that works with an API token. */
export async function tokenRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  const { ctx } = runtime;

  // Any token may revoke itself, whatever its scopes: the first thing to do with a leaked token.
  app.delete('/api/v1/tokens/current', async (request, reply) => {
    const actor = await requireActor(ctx, request);
    if (actor.token) await revokeToken(ctx, actor, actor.token.id, 'revoked by its own holder');
    return reply.code(204).send();
  });

  app.get('/api/v1/me/audit', async (request) => {
    const actor = await requireActor(ctx, request);
    const rows = await listAudit(ctx.db, { userId: actor.userId, limit: 200 });
    return {
      events: rows.map((r) => ({
        id: r.id,
        action: r.action,
        token_id: r.token_id,
        crate: r.crate_name,
        version: r.version,
        detail: r.detail ? (JSON.parse(r.detail) as unknown) : null,
        created_at: r.created_at,
      })),
    };
  });
}
