import type { ServiceContext } from '../context.js';
import { serverKey } from '../server-secret.service.js';
import { OidcClient } from './oidc-client.js';
import { open, seal } from './secret-box.js';

/**
 * Single sign-on as configured: the provider's client and the server keys that seal what must be
 * read back (the sign-in state carried in a cookie, the provider's refresh tokens). Null when no
 * `oidc_issuer` is set.
 */
export interface Sso {
  client: OidcClient;
  /** "Sign in with NAME". */
  name: string;
  sealState(value: string): Promise<string>;
  openState(sealed: string): Promise<string | null>;
  sealRefreshToken(token: string): Promise<string>;
  openRefreshToken(sealed: string): Promise<string | null>;
}

export function createSso(ctx: ServiceContext): Sso | null {
  if (!ctx.config.oidcIssuer) return null;
  const stateKey = serverKey(ctx, 'oidc-state');
  const refreshKey = serverKey(ctx, 'oidc-refresh-token');
  return {
    client: new OidcClient(ctx.config),
    name: ctx.config.oidcName,
    sealState: async (value) => seal(await stateKey(), 'oidc-state', value),
    openState: async (sealed) => open(await stateKey(), 'oidc-state', sealed),
    sealRefreshToken: async (token) => seal(await refreshKey(), 'oidc-refresh-token', token),
    openRefreshToken: async (sealed) => open(await refreshKey(), 'oidc-refresh-token', sealed),
  };
}

/** Whether a login may still use its password when `oidc_only` is on (the break-glass admins). */
export function passwordSignInAllowed(ctx: ServiceContext, login: string): boolean {
  if (!ctx.config.oidcOnly) return true;
  return ctx.config.oidcBreakGlassAdmins.some((l) => l.toLowerCase() === login.toLowerCase());
}
