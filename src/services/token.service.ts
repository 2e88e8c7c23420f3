import { type AppError, badRequest, conflict, forbidden, notFound, refusedAs, unauthorized } from '../core/errors.js';
import { ALL_CRATES, ENDPOINT_SCOPES, type EndpointScope, isEndpointScope } from '../core/scopes.js';
import { generateToken, hashToken, isWellFormedToken, isWellFormedTrustpubToken } from '../core/token.js';
import {
  countLiveTokens,
  findTokenByHash,
  findTokenById,
  insertToken,
  listTokensOfUser,
  peekTokenByHash,
  revokeTokens,
  touchToken,
  type TokenRow,
  type TokenWithOwner,
} from '../db/repositories/token.repository.js';
import type { Actor } from './actor.js';
import { recordAudit } from './audit.service.js';
import { isoNow, type ServiceContext } from './context.js';
import { queueMails } from './mail/mail-queue.js';
import { checkTokenPolicy } from './factors/factors.service.js';
import { authenticateTrustpubToken } from './trustpub/trustpub-token.service.js';

/** last_used_at is written at most this often per token, so reads do not turn into writes. */
const LAST_USED_GRANULARITY_MS = 60_000;
const MAX_NAME_LENGTH = 100;
const MAX_EXPIRY_DAYS = 3650;

export interface TokenSpec {
  name: string;
  scopes?: readonly EndpointScope[];
  cratePatterns?: readonly string[];
  expiresInDays?: number | null;
}

/** A token as listed to its owner: never the secret. */
export interface TokenView {
  id: number;
  name: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  /** The same moment under crates.io's name for it, which its clients read. */
  expired_at: string | null;
  endpoint_scopes: string[];
  crate_scopes: string[];
  state: 'active' | 'expired' | 'revoked';
  revoked_at: string | null;
  revoked_reason: string | null;
}

export function tokenView(row: TokenRow, now: Date): TokenView {
  return {
    id: row.id,
    name: row.name,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    expires_at: row.expires_at,
    expired_at: row.expires_at,
    endpoint_scopes: JSON.parse(row.scopes) as string[],
    crate_scopes: JSON.parse(row.crate_patterns) as string[],
    state: row.revoked_at ? 'revoked' : row.expires_at && row.expires_at <= now.toISOString() ? 'expired' : 'active',
    revoked_at: row.revoked_at,
    revoked_reason: row.revoked_reason,
  };
}

/** Creates a token and returns its plaintext, which exists nowhere else afterwards. */
export async function createToken(
  ctx: ServiceContext,
  userId: number,
  spec: TokenSpec,
  createdBy: Actor | null,
): Promise<{ token: string; view: TokenView }> {
  const name = spec.name.trim();
  if (name === '' || name.length > MAX_NAME_LENGTH) throw badRequest(`a token name must be 1 to ${MAX_NAME_LENGTH} characters`);
  const scopes = spec.scopes ?? ENDPOINT_SCOPES;
  if (scopes.length === 0 || !scopes.every(isEndpointScope)) throw badRequest(`token scopes must be among ${ENDPOINT_SCOPES.join(', ')}`);
  const patterns = spec.cratePatterns ?? [ALL_CRATES];
  if (patterns.length === 0) throw badRequest('a token needs at least one crate pattern (use * for every crate)');
  const days = spec.expiresInDays ?? null;
  if (days !== null && (!Number.isInteger(days) || days < 1 || days > MAX_EXPIRY_DAYS)) {
    throw badRequest(`expiry must be a whole number of days from 1 to ${MAX_EXPIRY_DAYS}`);
  }
  // A user minting their own token meets the second-factor policy; the server's operator does not.
  if (createdBy?.userId === userId) await checkTokenPolicy(ctx, userId, scopes);
  const now = ctx.clock.now();
  const token = generateToken();
  const row = await ctx.db.transaction().execute(async (tx) => {
    // On PostgreSQL, concurrent creations for one user queue on the user's row, so the cap holds;
    // SQLite already runs one write transaction at a time.
    if (ctx.config.databaseUrl) await tx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute();
    if ((await countLiveTokens(tx, userId, now.toISOString())) >= ctx.config.maxTokensPerUser) {
      throw conflict(`you already have ${ctx.config.maxTokensPerUser} live tokens, the most allowed; revoke some first`);
    }
    const inserted = await insertToken(tx, {
      user_id: userId,
      name,
      token_hash: hashToken(token),
      created_at: now.toISOString(),
      expires_at: days === null ? null : new Date(now.getTime() + days * 86_400_000).toISOString(),
      scopes: JSON.stringify([...new Set(scopes)].sort()),
      crate_patterns: JSON.stringify([...new Set(patterns)]),
    });
    await recordAudit(tx, ctx.clock, {
      action: 'token.create',
      userId: createdBy?.userId ?? null,
      tokenId: inserted.id,
      detail: { owner_id: userId, name, scopes, crate_patterns: patterns, expires_at: inserted.expires_at },
    });
    await queueMails(tx, ctx, [
      {
        userId,
        key: `token-created:${inserted.id}`,
        message: { template: 'token-created', name, scopes: JSON.parse(inserted.scopes) as string[], crateScopes: patterns.slice(), expiresAt: inserted.expires_at },
      },
    ]);
    return inserted;
  });
  return { token, view: tokenView(row, now) };
}

export async function listTokens(ctx: ServiceContext, userId: number): Promise<TokenView[]> {
  const now = ctx.clock.now();
  return (await listTokensOfUser(ctx.db, userId)).map((r) => tokenView(r, now));
}

/** One of the user's tokens, as listed; anyone else's is "not found". */
export async function getToken(ctx: ServiceContext, userId: number, id: number): Promise<TokenView> {
  const row = await findTokenById(ctx.db, id);
  if (!row || row.user_id !== userId) throw notFound(`no token with id ${id}`);
  return tokenView(row, ctx.clock.now());
}

function loginHint(ctx: ServiceContext): string {
  return `create a new one at ${ctx.config.publicUrl}/me`;
}

/**
 * Turns the Authorization header into an actor, or refuses with 401. Malformed tokens and bad
 * checksums are refused without a database lookup. Unknown tokens get the same answer whoever
 * owns the token space, so nothing leaks about other users' tokens.
 */
export async function authenticateToken(ctx: ServiceContext, header: string, { trustpub = false }: { trustpub?: boolean } = {}): Promise<Actor> {
  const raw = tokenFromHeader(header);
  if (isWellFormedTrustpubToken(raw)) {
    const actor = await authenticateTrustpubToken(ctx, raw);
    // Everywhere but publishing (and reading what a publish needs), such a token is refused outright.
    if (!trustpub) throw forbidden(`a trusted-publishing token may only publish new versions of ${actor.trustpub!.crateNames.map((n) => `\`${n}\``).join(', ')}; use an API token of an owner for anything else`);
    return actor;
  }
  if (!isWellFormedToken(raw)) {
    throw refusedAs('malformed', unauthorized('the API token is malformed or mistyped (its checksum does not match); ' + loginHint(ctx)));
  }
  const row = await findTokenByHash(ctx.db, hashToken(raw));
  if (!row) throw refusedAs('unknown', unauthorized('the API token is not valid; ' + loginHint(ctx)));
  const now = ctx.clock.now();
  const refusal = refusalOf(ctx, row, now);
  if (refusal) throw refusal;
  if (lastUsedIsStale(row, now)) await touchToken(ctx.db, row.id, now.toISOString());
  return actorOf(row);
}

/**
 * The SHA-256 that identifies the token in an Authorization header, or null when the header
 * holds no well-formed token. For callers that keep it per connection (http/fast-path.ts).
 */
export function tokenHashOfHeader(header: string): string | null {
  const raw = tokenFromHeader(header);
  return isWellFormedToken(raw) ? hashToken(raw) : null;
}

/**
 * The same answer as `authenticateToken` when it can be given at once, without a query or a
 * write: the token's row is known to be current (see `peekTokenByHash`), it is valid, and its
 * last-used time needs no update. Undefined means "ask authenticateToken", which also produces
 * every refusal, so callers answer errors through one path only.
 */
export function authenticateTokenHashAtOnce(ctx: ServiceContext, hash: string): Actor | undefined {
  const row = peekTokenByHash(ctx.db, hash);
  if (!row) return undefined;
  let known = knownRows.get(row);
  if (!known) {
    known = {
      actor: deepFreeze(actorOf(row)),
      // Revocations and locks are refused by authenticateToken, with their reasons.
      usable: !row.revoked_at && !row.user_locked_at,
      expiresAt: expiryOf(row),
      touchDueAt: row.last_used_at ? Date.parse(row.last_used_at) + LAST_USED_GRANULARITY_MS : -Infinity,
    };
    knownRows.set(row, known);
  }
  const now = ctx.clock.now().getTime();
  return known.usable && now < known.expiresAt && now < known.touchDueAt ? known.actor : undefined;
}

/**
 * What a reused token row decides, worked out once per row (rows are replaced, never changed):
 * the actor every request presenting the token shares, and the instants that end its use here.
 */
interface KnownRow {
  actor: Actor;
  usable: boolean;
  expiresAt: number;
  touchDueAt: number;
}
const knownRows = new WeakMap<TokenWithOwner, KnownRow>();

function deepFreeze(actor: Actor): Actor {
  if (actor.token) {
    Object.freeze(actor.token.scopes);
    Object.freeze(actor.token.cratePatterns);
    Object.freeze(actor.token);
  }
  return Object.freeze(actor);
}

function tokenFromHeader(header: string): string {
  return header.trim().replace(/^Bearer\s+/i, '');
}

function refusalOf(ctx: ServiceContext, row: TokenWithOwner, now: Date): AppError | null {
  if (row.revoked_at) {
    return refusedAs('revoked', unauthorized(`this token was revoked on ${row.revoked_at.slice(0, 10)}: ${row.revoked_reason ?? 'no reason given'}; ${loginHint(ctx)}`));
  }
  if (expiryOf(row) <= now.getTime()) {
    return refusedAs('expired', unauthorized(`this token expired on ${row.expires_at?.slice(0, 10)}; ${loginHint(ctx)}`));
  }
  if (row.user_locked_at) return refusedAs('locked', forbidden(`the account \`${row.user_login}\` is locked`));
  return null;
}

/**
 * When the token stops working, in ms since the epoch: never without an expiry, and at once when
 * the stored value cannot be read as a date (a hand-edited row), so a bad value fails closed.
 */
function expiryOf(row: TokenWithOwner): number {
  if (!row.expires_at) return Infinity;
  const at = Date.parse(row.expires_at);
  return Number.isNaN(at) ? -Infinity : at;
}

function lastUsedIsStale(row: TokenWithOwner, now: Date): boolean {
  return !row.last_used_at || now.getTime() - Date.parse(row.last_used_at) >= LAST_USED_GRANULARITY_MS;
}

function actorOf(row: TokenWithOwner): Actor {
  return {
    userId: row.user_id,
    login: row.user_login,
    name: row.user_name,
    isAdmin: row.user_is_admin === 1,
    token: { id: row.id, scopes: JSON.parse(row.scopes) as EndpointScope[], cratePatterns: JSON.parse(row.crate_patterns) as string[] },
  };
}

/** Who did it, for the audit trail when no signed-in user did (the CLI on the server, the leak scanner). */
export interface Operator {
  actor: Actor | null;
  via?: string;
}

/**
 * Revokes one token. With `ownerId`, only a token of that user (the /me page); otherwise its
 * owner or an admin may. Anyone else is told it does not exist.
 */
export async function revokeToken(
  ctx: ServiceContext,
  { actor, via }: Operator,
  id: number,
  reason: string,
  ownerId?: number,
): Promise<TokenView> {
  const row = await findTokenById(ctx.db, id);
  const allowed = ownerId !== undefined ? row?.user_id === ownerId : !actor || actor.isAdmin || row?.user_id === actor.userId;
  if (!row || !allowed) throw notFound(`no token with id ${id}`);
  await ctx.db.transaction().execute(async (tx) => {
    const revoked = await revokeTokens(tx, { id }, { at: isoNow(ctx.clock), reason, by: actor?.userId ?? null });
    if (revoked.length > 0) {
      await recordAudit(tx, ctx.clock, {
        action: 'token.revoke',
        userId: actor?.userId ?? null,
        tokenId: id,
        detail: { reason, owner_id: row.user_id, ...(via ? { via } : {}) },
      });
      await queueRevocationNotices(tx, ctx, { actor, via }, revoked, reason);
    }
  });
  const after = await findTokenById(ctx.db, id);
  return tokenView(after ?? row, ctx.clock.now());
}

/**
 * Tells the owners of tokens revoked by someone else (an admin, an operator's incident switch, a
 * leak report) which token went and why. A user revoking their own tokens is told nothing.
 */
async function queueRevocationNotices(
  db: ServiceContext['db'],
  ctx: ServiceContext,
  { actor, via }: Operator,
  revoked: readonly { id: number; user_id: number; name: string }[],
  reason: string,
): Promise<void> {
  const by = actor ? `the administrator ${actor.login}` : via === 'secret-scanning' ? 'the registry, after a leak report' : 'an operator of the registry';
  await queueMails(
    db,
    ctx,
    revoked
      .filter((t) => t.user_id !== actor?.userId)
      .map((t) => ({ userId: t.user_id, key: `token-revoked:${t.id}`, message: { template: 'token-revoked', name: t.name, reason, by } })),
  );
}

/** Refuses a blank reason for revoking: whoever uses a revoked token is shown it. */
export function checkRevokeReason(reason: string): void {
  if (reason.trim() === '') throw badRequest('a reason is required');
}

/** The incident switch: revokes every live token (of one user, or of the registry) in one transaction. */
export async function revokeAllTokens(
  ctx: ServiceContext,
  { actor, via }: Operator,
  scope: { userId?: number },
  reason: string,
): Promise<number> {
  checkRevokeReason(reason);
  return ctx.db.transaction().execute(async (tx) => {
    const ids = await revokeTokens(tx, scope, { at: isoNow(ctx.clock), reason, by: actor?.userId ?? null });
    await queueRevocationNotices(tx, ctx, { actor, via }, ids, reason);
    await recordAudit(tx, ctx.clock, {
      action: 'token.revoke_all',
      userId: actor?.userId ?? null,
      tokenId: actor?.token?.id ?? null,
      detail: { reason, user_id: scope.userId ?? null, count: ids.length, ...(via ? { via } : {}) },
    });
    return ids.length;
  });
}

/** What the server knows of a presented token, without using it: for `wharf token verify` and leak reports. */
export async function inspectToken(
  ctx: ServiceContext,
  raw: string,
): Promise<{ wellFormed: false } | { wellFormed: true; found: false } | { wellFormed: true; found: true; login: string; view: TokenView }> {
  const token = raw.trim().replace(/^Bearer\s+/i, '');
  if (!isWellFormedToken(token)) return { wellFormed: false };
  const row = await findTokenByHash(ctx.db, hashToken(token));
  if (!row) return { wellFormed: true, found: false };
  return { wellFormed: true, found: true, login: row.user_login, view: tokenView(row, ctx.clock.now()) };
}
