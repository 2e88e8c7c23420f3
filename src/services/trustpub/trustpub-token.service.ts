import { unauthorized } from '../../core/errors.js';
import { hashToken } from '../../core/token.js';
import { crateNamesByIds, findTrustpubTokenByHash, revokeTrustpubToken } from '../../db/repositories/trustpub.repository.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.service.js';
import { isoNow, type ServiceContext } from '../context.js';

const HINT = 'exchange a fresh OIDC token at /api/v1/trusted_publishing/tokens';

/**
 * The actor of a well-formed `wharf_tp_` token: no user, only the `publish-update` scope, limited
 * to the crates it was minted for. Unknown, revoked and expired tokens are refused with 401.
 */
export async function authenticateTrustpubToken(ctx: ServiceContext, raw: string): Promise<Actor> {
  const row = await findTrustpubTokenByHash(ctx.db, hashToken(raw));
  if (!row) throw unauthorized(`the trusted-publishing token is not valid; ${HINT}`);
  if (row.revoked_at) throw unauthorized(`this trusted-publishing token was revoked at ${row.revoked_at}: ${row.revoked_reason ?? 'no reason given'}; ${HINT}`);
  const expiresAt = Date.parse(row.expires_at);
  if (!(ctx.clock.now().getTime() < expiresAt)) throw unauthorized(`this trusted-publishing token expired at ${row.expires_at}; ${HINT}`);
  const crateIds = JSON.parse(row.crate_ids) as number[];
  const crateNames = await crateNamesByIds(ctx.db, crateIds);
  return {
    userId: 0,
    login: 'trusted-publishing',
    name: null,
    isAdmin: false,
    token: { id: 0, scopes: ['publish-update'], cratePatterns: crateNames },
    trustpub: { tokenId: row.id, crateIds, crateNames, data: row.trustpub_data },
  };
}

/** `DELETE /api/v1/trusted_publishing/tokens`: the token that authenticates the request ends now. */
export async function revokeOwnTrustpubToken(ctx: ServiceContext, actor: Actor): Promise<void> {
  const grant = actor.trustpub;
  if (!grant) throw unauthorized('this request needs a trusted-publishing token (wharf_tp_...) to revoke');
  await revoke(ctx, grant.tokenId, 'revoked by its own holder');
}

/** A leak report naming a trusted-publishing token: revoked if live; false when no such token was issued. */
export async function revokeLeakedTrustpubToken(ctx: ServiceContext, raw: string, reason: string): Promise<boolean> {
  const row = await findTrustpubTokenByHash(ctx.db, hashToken(raw));
  if (!row) return false;
  if (!row.revoked_at) await revoke(ctx, row.id, reason, 'secret-scanning');
  return true;
}

async function revoke(ctx: ServiceContext, id: number, reason: string, via?: string): Promise<void> {
  await ctx.db.transaction().execute(async (tx) => {
    if (await revokeTrustpubToken(tx, id, isoNow(ctx.clock), reason)) {
      await recordAudit(tx, ctx.clock, { action: 'trustpub.revoke', userId: null, tokenId: null, detail: { trustpub_token_id: id, reason, ...(via ? { via } : {}) } });
    }
  });
}
