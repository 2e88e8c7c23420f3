import { forbidden } from '../core/errors.js';
import { anyPatternMatches, type EndpointScope } from '../core/scopes.js';

/** Who is making a request, and through which token (null for a browser session). */
export interface Actor {
  userId: number;
  login: string;
  name: string | null;
  isAdmin: boolean;
  token: ActorToken | null;
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
