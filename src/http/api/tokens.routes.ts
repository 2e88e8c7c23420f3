import type { FastifyInstance } from 'fastify';
import { listAudit } from '../../db/repositories/audit.repository.js';
import type { Runtime } from '../../services/runtime.js';
import { badRequest, forbidden } from '../../core/errors.js';
import { parseCratePatterns, parseScopes } from '../../core/scopes.js';
import { createToken, getToken, listTokens, revokeAllTokens, revokeToken, type TokenSpec } from '../../services/token.service.js';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../services/actor.js';
import type { ServiceContext } from '../../services/context.js';
import { requireActor } from '../auth.js';
import { requireSession } from '../session.js';
import * as R from './schemas/responses.js';

/** Reads crates.io's `{"api_token":{...}}` body into a token spec; scopes default to everything, written out. */
function tokenSpec(body: unknown): TokenSpec {
  const t = (body as { api_token?: Record<string, unknown> } | undefined)?.api_token;
  if (!t || typeof t !== 'object') throw badRequest('expected a body like {"api_token":{"name":"laptop"}}');
  if (typeof t.name !== 'string') throw badRequest('`api_token.name` must be a string');
  const list = (v: unknown, field: string): string[] | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw badRequest(`\`api_token.${field}\` must be an array of strings`);
    return v as string[];
  };
  const scopes = list(t.endpoint_scopes, 'endpoint_scopes');
  const crates = list(t.crate_scopes, 'crate_scopes');
  let expiresInDays: number | null = null;
  if (t.expires_in_days !== undefined && t.expires_in_days !== null) {
    if (typeof t.expires_in_days !== 'number') throw badRequest('`api_token.expires_in_days` must be a number');
    expiresInDays = t.expires_in_days;
  }
  try {
    return {
      name: t.name,
      scopes: scopes ? parseScopes(scopes) : undefined,
      cratePatterns: crates ? parseCratePatterns(crates) : undefined,
      expiresInDays,
    };
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}

function tokenId(raw: string): number {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id < 1) throw badRequest('a token id is a positive integer');
  return id;
}

/**
 * Who may read or revoke token `id`: a signed-in browser user, any of their tokens; an API token,
 * itself alone (crates.io lets a token revoke itself by id), so a token never manages another.
 */
async function tokenManager(ctx: ServiceContext, request: FastifyRequest, id: number, write: boolean): Promise<Actor> {
  if (!request.headers.authorization) return requireSession(ctx, request, { write });
  const actor = await requireActor(ctx, request);
  if (actor.token?.id !== id) throw forbidden(`an API token can only read or revoke itself; sign in at ${ctx.config.publicUrl}/me to manage your other tokens`);
  return actor;
}

/** Token self-service that works with an API token. */
export async function tokenRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  const { ctx } = runtime;

  app.put('/api/v1/me/tokens', { schema: R.reply(R.newTokenAnswer) }, async (request) => {
    const actor = await requireSession(ctx, request, { write: true, sudo: true });
    const { token, view } = await createToken(ctx, actor.userId, tokenSpec(request.body), actor);
    request.log.info({ event: 'token.create', token_id: view.id, user: actor.login, scopes: view.endpoint_scopes }, 'token created');
    return { api_token: { ...view, token } };
  });

  app.get('/api/v1/me/tokens', { schema: R.reply(R.tokensAnswer) }, async (request) => {
    const actor = await requireSession(ctx, request, { write: false });
    return { api_tokens: await listTokens(ctx, actor.userId) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/me/tokens/:id', { schema: R.reply(R.tokenAnswer) }, async (request) => {
    const id = tokenId(request.params.id);
    const actor = await tokenManager(ctx, request, id, false);
    return { api_token: await getToken(ctx, actor.userId, id) };
  });

  app.delete<{ Params: { id: string } }>('/api/v1/me/tokens/:id', { schema: R.reply(R.tokenAnswer) }, async (request) => {
    const id = tokenId(request.params.id);
    const actor = await tokenManager(ctx, request, id, true);
    const reason = actor.token ? 'revoked by its own holder' : 'revoked by its owner';
    const revoked = await revokeToken(ctx, { actor }, id, reason, actor.userId);
    request.log.info({ event: 'token.revoke', token_id: id, user: actor.login }, 'token revoked');
    return { api_token: revoked };
  });

  app.delete('/api/v1/me/tokens', { schema: R.reply(R.tokensRevokedAnswer) }, async (request) => {
    const actor = await requireSession(ctx, request, { write: true, sudo: true });
    const count = await revokeAllTokens(ctx, { actor }, { userId: actor.userId }, 'revoked by its owner (all tokens)');
    request.log.info({ event: 'token.revoke_all', user: actor.login, count }, 'every token of the user revoked');
    return { ok: true, revoked: count };
  });

  // Any token may revoke itself, whatever its scopes: the first thing to do with a leaked token.
  app.delete('/api/v1/tokens/current', { schema: R.noContent }, async (request, reply) => {
    const actor = await requireActor(ctx, request);
    if (actor.token) {
      await revokeToken(ctx, { actor }, actor.token.id, 'revoked by its own holder', actor.userId);
      request.log.info({ event: 'token.revoke', token_id: actor.token.id, user: actor.login }, 'token revoked by its holder');
    }
    return reply.code(204).send();
  });

  app.get('/api/v1/me/audit', async (request) => {
    const actor = await requireActor(ctx, request);
    const rows = await listAudit(ctx.db, { involvingUserId: actor.userId, limit: 200 });
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
