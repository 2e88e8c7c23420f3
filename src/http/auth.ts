import type { FastifyRequest } from 'fastify';
import { forbidden, refusedAs, unauthorized } from '../core/errors.js';
import type { EndpointScope } from '../core/scopes.js';
import type { Actor } from '../services/actor.js';
import type { ServiceContext } from '../services/context.js';
import { authenticateToken } from '../services/token.service.js';

/** The RFC 3139 challenge that tells cargo to retry with its token, and where to get one. */
export function loginChallenge(ctx: ServiceContext): Record<string, string> {
  return { 'www-authenticate': `Cargo login_url="${ctx.config.publicUrl}/me"` };
}

/**
 * The actor behind the request's token; 401 when there is none or it is not valid. A
 * trusted-publishing token is accepted only where `trustpub` says so (publish, reads, its own
 * revocation); elsewhere it is refused with 403.
 */
export async function requireActor(ctx: ServiceContext, request: FastifyRequest, options: { trustpub?: boolean } = {}): Promise<Actor> {
  const header = request.headers.authorization;
  if (!header) {
    throw refusedAs('missing', unauthorized(`this action needs an API token; create one at ${ctx.config.publicUrl}/me and run \`cargo login --registry ${ctx.config.registryName}\``, loginChallenge(ctx)));
  }
  return authenticateToken(ctx, header, options);
}

/**
 * Gate for reads (index, downloads, search, crate info). Open unless the registry requires
 * auth; then any token with the read scope, or a publish scope, may read.
 */
export async function authorizeRead(ctx: ServiceContext, request: FastifyRequest): Promise<void> {
  if (!ctx.config.authRequired) return;
  const actor = await requireActor(ctx, request, { trustpub: true });
  if (actor.token && !mayRead(actor)) {
    throw forbidden(`this token lacks the \`read\` scope needed to read this private registry (it has: ${actor.token.scopes.join(', ')})`);
  }
}

const READ_SCOPES: readonly EndpointScope[] = ['read', 'publish-new', 'publish-update'];

/** Whether this actor may read a private registry: a session, or a token with a read or publish scope. */
export function mayRead(actor: Actor): boolean {
  return !actor.token || actor.token.scopes.some((s) => READ_SCOPES.includes(s));
}
