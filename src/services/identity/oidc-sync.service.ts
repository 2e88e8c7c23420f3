import { admission } from '../../core/oidc-claims.js';
import { listOidcIdentities, touchOidcIdentity } from '../../db/repositories/identity.repository.js';
import { findUserById } from '../../db/repositories/user.repository.js';
import { isoNow, type ServiceContext } from '../context.js';
import { ProviderRefused } from './oidc-client.js';
import { lockForProvider, rulesOf } from './oidc-account.service.js';
import type { Sso } from './sso.js';

export interface SyncOutcome {
  login: string;
  result: 'ok' | 'locked' | 'unchecked' | 'failed';
  detail: string;
}

/**
 * Asks the provider about every linked identity, without waiting for the person to sign in:
 * userinfo needs a user's access token, so each identity is refreshed with the refresh token
 * kept (sealed) from its last sign-in. A refresh the provider refuses (`invalid_grant`: the
 * person was removed or their grant revoked) or claims that are no longer allowed lock the
 * account as `wharf user lock` does. Identities without a refresh token (the provider gave none:
 * ask for `offline_access`) are reported, not locked; a provider that cannot be reached locks no one.
 */
export async function syncOidcIdentities(ctx: ServiceContext, sso: Sso): Promise<SyncOutcome[]> {
  const outcomes: SyncOutcome[] = [];
  for (const identity of await listOidcIdentities(ctx.db, { issuer: sso.client.issuer })) {
    const user = await findUserById(ctx.db, identity.user_id);
    if (!user) continue;
    const sealed = identity.refresh_token;
    const token = sealed ? await sso.openRefreshToken(sealed) : null;
    if (!token) {
      outcomes.push({ login: user.login, result: 'unchecked', detail: 'no refresh token kept (the provider must grant offline_access)' });
      continue;
    }
    try {
      const fresh = await sso.client.refresh(token, identity.subject);
      const verdict = admission(fresh.claims, rulesOf(ctx));
      if (!verdict.allowed) {
        await lockForProvider(ctx, user, verdict.reason);
        outcomes.push({ login: user.login, result: 'locked', detail: verdict.reason });
        continue;
      }
      await touchOidcIdentity(ctx.db, identity.id, {
        email: verdict.email,
        at: identity.last_login_at ?? isoNow(ctx.clock),
        ...(fresh.refreshToken ? { refreshToken: await sso.sealRefreshToken(fresh.refreshToken) } : {}),
      });
      outcomes.push({ login: user.login, result: 'ok', detail: user.locked_at ? 'allowed (the account stays locked)' : 'allowed' });
    } catch (err) {
      if (err instanceof ProviderRefused && err.error === 'invalid_grant') {
        await lockForProvider(ctx, user, 'the provider no longer knows this identity');
        outcomes.push({ login: user.login, result: 'locked', detail: 'the provider refused the refresh token (invalid_grant)' });
      } else {
        outcomes.push({ login: user.login, result: 'failed', detail: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  return outcomes;
}
