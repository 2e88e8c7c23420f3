import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../core/errors.js';
import type { TrustpubKind } from '../../core/trustpub-claims.js';
import type { Actor } from '../../services/actor.js';
import type { ServiceContext } from '../../services/context.js';
import type { Runtime } from '../../services/runtime.js';
import { exchangeJwt } from '../../services/trustpub/exchange.service.js';
import { createConfig, listConfigs, removeConfig, updateTrustpubOnly } from '../../services/trustpub/trustpub-config.service.js';
import { revokeOwnTrustpubToken } from '../../services/trustpub/trustpub-token.service.js';
import { getCrate, parseInclude } from '../../services/crate-doc.js';
import { requireActor } from '../auth.js';
import { requireSession } from '../session.js';
import * as R from './schemas/responses.js';

/** As crates.io authorises these: a signed-in browser (with its CSRF header for writes), or an API token. */
function managerOf(ctx: ServiceContext, request: FastifyRequest, write: boolean): Promise<Actor> {
  return request.headers.authorization ? requireActor(ctx, request) : requireSession(ctx, request, { write });
}

/** Trusted publishing under crates.io's routes and bodies: the token exchange and each crate's trusted publishers. */
export async function trustpubRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  const { ctx } = runtime;

  app.post('/api/v1/trusted_publishing/tokens', { schema: R.reply(R.trustpubTokenAnswer) }, async (request) => {
    return exchangeJwt(ctx, runtime.trustpubIssuers, (request.body as { jwt?: unknown } | null)?.jwt);
  });

  app.delete('/api/v1/trusted_publishing/tokens', { schema: R.noContent }, async (request, reply) => {
    await revokeOwnTrustpubToken(ctx, await requireActor(ctx, request, { trustpub: true }));
    return reply.code(204).send();
  });

  for (const kind of ['github', 'gitlab'] as const satisfies readonly TrustpubKind[]) {
    const base = `/api/v1/trusted_publishing/${kind}_configs`;
    app.post(base, { schema: R.reply(R.trustpubConfigAnswer[kind]) }, async (request) => {
      return { [`${kind}_config`]: await createConfig(ctx, await managerOf(ctx, request, true), kind, request.body) };
    });
    app.get(base, { schema: R.reply(R.trustpubConfigsAnswer[kind]) }, async (request) => {
      const crate = (request.query as Record<string, unknown>).crate;
      const configs = await listConfigs(ctx, await managerOf(ctx, request, false), kind, crate);
      // A crate has at most a few configurations: one page, whose `meta` crates.io's clients read.
      return { [`${kind}_configs`]: configs, meta: { total: configs.length, next_page: null } };
    });
    app.delete<{ Params: { id: string } }>(`${base}/:id`, { schema: R.noContent }, async (request, reply) => {
      const id = /^\d{1,15}$/.test(request.params.id) ? Number(request.params.id) : NaN;
      if (!Number.isSafeInteger(id)) throw badRequest('a configuration id is a positive integer');
      await removeConfig(ctx, await managerOf(ctx, request, true), kind, id);
      return reply.code(204).send();
    });
  }

  // crates.io's crate settings: {"crate": {"trustpub_only": true}}.
  app.patch<{ Params: { name: string } }>('/api/v1/crates/:name', { schema: R.reply(R.crateAnswer) }, async (request) => {
    const fields = (request.body as { crate?: unknown } | null)?.crate as Record<string, unknown> | undefined;
    if (typeof fields !== 'object' || fields === null || typeof fields.trustpub_only !== 'boolean') {
      throw badRequest('expected a body like {"crate": {"trustpub_only": true}}');
    }
    await updateTrustpubOnly(ctx, { actor: await managerOf(ctx, request, true) }, request.params.name, fields.trustpub_only);
    return getCrate(ctx, request.params.name, parseInclude(undefined));
  });
}
