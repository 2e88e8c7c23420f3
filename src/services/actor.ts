import { AppError, forbidden, refusedAs } from '../core/errors.js';
import { anyPatternMatches, type EndpointScope } from '../core/scopes.js';

/** Who is making a request, and through which token (null for a browser session). */
export interface Actor {
  userId: number;
  login: string;
  name: string | null;
  isAdmin: boolean;
  token: ActorToken | null;
  /** Set for a trusted-publishing token, which belongs to no user (userId is 0, no such row). */
  trustpub?: TrustpubGrant;
}

/** What a trusted-publishing token allows: new versions of exactly these crates. */
export interface TrustpubGrant {
  tokenId: number;
  crateIds: readonly number[];
  crateNames: readonly string[];
  /** The CI claims recorded on each version it publishes (JSON of core/trustpub-claims.ts's TrustpubData). */
  data: string;
}

/** The user and API token to name in the audit log and on a version: none for trusted publishing. */
export function auditIdentity(actor: Actor): { userId: number | null; tokenId: number | null } {
  return actor.trustpub ? { userId: null, tokenId: null } : { userId: actor.userId, tokenId: actor.token?.id ?? null };
}

export interface ActorToken {
  id: number;
  scopes: readonly EndpointScope[];
  cratePatterns: readonly string[];
}

/**
 * Refuses when the actor's token lacks `scope` or does not cover `crateName`. A browser session
 * carries every scope of its user. The detail names what is missing.
 */
export function requireScope(actor: Actor, scope: EndpointScope, crateName?: string): void {
  try {
    checkScope(actor, scope, crateName);
  } catch (err) {
    if (err instanceof AppError) refusedAs('out_of_scope', err);
    throw err;
  }
}

function checkScope(actor: Actor, scope: EndpointScope, crateName?: string): void {
  if (actor.trustpub) return requireTrustpubScope(actor.trustpub, scope, crateName);
  const token = actor.token;
  if (!token) return;
  if (!token.scopes.includes(scope)) {
    throw forbidden(`this token lacks the \`${scope}\` scope (it has: ${token.scopes.join(', ')})`);
  }
  if (crateName !== undefined && !anyPatternMatches(token.cratePatterns, crateName)) {
    throw forbidden(
      `this token is limited to the crate patterns ${token.cratePatterns.map((p) => `\`${p}\``).join(', ')}, which do not cover \`${crateName}\``,
    );
  }
}

function requireTrustpubScope(grant: TrustpubGrant, scope: EndpointScope, crateName?: string): void {
  const crates = grant.crateNames.map((n) => `\`${n}\``).join(', ');
  if (scope === 'publish-new') {
    throw forbidden(
      `a trusted-publishing token cannot create the crate \`${crateName ?? ''}\`; publish its first version with an owner's API token, then add the trusted publisher`,
    );
  }
  if (scope !== 'publish-update') throw forbidden(`a trusted-publishing token may only publish new versions of ${crates}; it cannot ${SCOPE_ACTIONS[scope]}`);
  if (crateName !== undefined && !grant.crateNames.some((n) => anyPatternMatches([n], crateName))) {
    throw forbidden(`this trusted-publishing token may only publish ${crates}, not \`${crateName}\``);
  }
}

const SCOPE_ACTIONS: Record<EndpointScope, string> = {
  'publish-new': 'create a crate',
  'publish-update': 'publish',
  yank: 'yank or unyank versions',
  'change-owners': 'change owners',
  'trusted-publishing': 'manage trusted publishing',
  read: 'read',
};
