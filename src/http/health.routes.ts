import type { FastifyInstance } from 'fastify';
import { checkConnection } from '../db/create-db.js';
import { pendingMigrations } from '../db/migrate.js';
import type { Runtime } from '../services/runtime.js';

/** Probes for a load balancer or orchestrator: live = the process answers; ready = it can serve. */
export async function healthRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  const { db } = runtime.ctx;
  app.get('/health/live', async () => ({ ok: true }));
  app.get('/health/ready', async (request, reply) => {
    try {
      await checkConnection(db);
    } catch (err) {
      request.log.warn({ err }, 'readiness: database unreachable');
      return reply.code(503).send({ ok: false, database: 'unreachable', migrations: 'unknown' });
    }
    const pending = await pendingMigrations(db);
    if (pending.length > 0) return reply.code(503).send({ ok: false, database: 'up', migrations: 'behind', pending });
    return { ok: true, database: 'up', migrations: 'current' };
  });
}
