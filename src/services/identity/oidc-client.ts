import * as client from 'openid-client';
import { AppError } from '../../core/errors.js';
import { isLoopbackHost } from '../../config/oidc.js';
import type { Config } from '../../config/config.js';

/** One request to the provider (discovery, key set, token, userinfo) may take this long... */
export const OIDC_TIMEOUT_SECONDS = 10;
/** ...and answer this many bytes at most. */
export const OIDC_MAX_BYTES = 512 * 1024;

/** A failure of the provider (not of the user): 502, or 504 for a timeout, named and logged by the caller. */
export class ProviderUnavailable extends AppError {}

/** The provider refused (a used or expired code, a revoked refresh token): `error` is its OAuth error code. */
export class ProviderRefused extends AppError {
  constructor(
    readonly error: string,
    detail: string,
  ) {
    super('unauthorized', detail);
  }
}

/** fetch with a byte cap counted while reading (openid-client owns the deadline through `timeout`). */
async function boundedFetch(url: string, options: client.CustomFetchOptions): Promise<Response> {
  const response = await fetch(url, { ...options, redirect: 'manual' } as RequestInit);
  const reader = response.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > OIDC_MAX_BYTES) {
      await reader.cancel();
      throw new ProviderUnavailable('bad_gateway', `the identity provider sent more than ${OIDC_MAX_BYTES} bytes from ${new URL(url).pathname}`);
    }
    chunks.push(value);
  }
  return new Response(response.status === 204 || response.status === 304 ? null : Buffer.concat(chunks), { status: response.status, headers: response.headers });
}

function isTimeout(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const name = (e as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') return true;
    if (e === (e as { cause?: unknown }).cause) break;
  }
  return false;
}

/** Turns what openid-client throws into an AppError saying whose fault it was. */
export function providerError(err: unknown, doing: string): AppError {
  // Our own refusals (a byte cap) come back wrapped by openid-client.
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof AppError) return e;
  }
  if (err instanceof client.ResponseBodyError) return new ProviderRefused(err.error, `the identity provider refused ${doing}: ${err.error}`);
  if (err instanceof client.AuthorizationResponseError) return new ProviderRefused(err.error, `the identity provider answered with an error: ${err.error}`);
  if (isTimeout(err)) return new ProviderUnavailable('gateway_timeout', `the identity provider did not answer within ${OIDC_TIMEOUT_SECONDS} seconds (${doing})`);
  const message = err instanceof Error ? err.message : String(err);
  // A check of openid-client failed: the answer itself is wrong (state, nonce, signature, expiry...).
  if (err instanceof client.ClientError && !/fetch failed|ECONNREFUSED|ENOTFOUND|socket/i.test(message)) {
    const cause = (err as { cause?: unknown }).cause;
    const which = cause instanceof Error && cause.message !== message ? ` (${cause.message})` : '';
    return new AppError('unauthorized', `the answer of the identity provider is not valid (${doing}): ${message}${which}`);
  }
  return new ProviderUnavailable('bad_gateway', `the identity provider could not be reached (${doing}): ${message}`);
}

/**
 * The only code that talks to the OpenID Connect provider. Discovery happens at first use and is
 * tried again after a failure; openid-client keeps the key set and reads it again when a token
 * names an unknown key.
 */
export class OidcClient {
  private configuration: Promise<client.Configuration> | null = null;

  constructor(private readonly config: Pick<Config, 'oidcIssuer' | 'oidcClientId' | 'oidcClientSecret'>) {}

  get issuer(): string {
    return this.config.oidcIssuer!;
  }

  discover(): Promise<client.Configuration> {
    this.configuration ??= this.load().catch((err: unknown) => {
      this.configuration = null;
      throw providerError(err, 'reading its discovery document');
    });
    return this.configuration;
  }

  private async load(): Promise<client.Configuration> {
    const url = new URL(this.config.oidcIssuer!);
    const secret = this.config.oidcClientSecret;
    const plainHttp = url.protocol === 'http:' && isLoopbackHost(url.hostname);
    const configuration = await client.discovery(url, this.config.oidcClientId!, secret ?? undefined, secret ? client.ClientSecretBasic(secret) : client.None(), {
      timeout: OIDC_TIMEOUT_SECONDS,
      [client.customFetch]: boundedFetch,
      ...(plainHttp ? { execute: [client.allowInsecureRequests] } : {}),
    });
    configuration.timeout = OIDC_TIMEOUT_SECONDS;
    configuration[client.customFetch] = boundedFetch;
    // Verify the ID token's signature with the provider's key set (read again on an unknown
    // key id), not only trust the TLS channel it came through.
    client.enableNonRepudiationChecks(configuration);
    return configuration;
  }

  async authorizationUrl(parameters: Record<string, string>): Promise<URL> {
    return client.buildAuthorizationUrl(await this.discover(), parameters);
  }

  /** Exchanges the code (checks state, PKCE, nonce, and the ID token) and reads userinfo when the provider has it. */
  async exchange(
    callbackUrl: URL,
    checks: { state: string; verifier: string; nonce: string; maxAge?: number },
  ): Promise<{ claims: Record<string, unknown>; refreshToken: string | null; scope: string | undefined }> {
    const configuration = await this.discover();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: checks.verifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
        ...(checks.maxAge !== undefined ? { maxAge: checks.maxAge } : {}),
      });
    } catch (err) {
      throw providerError(err, 'the sign-in');
    }
    const idClaims = tokens.claims()!;
    const claims = { ...(await this.userinfo(configuration, tokens.access_token, idClaims.sub)), ...idClaims } as Record<string, unknown>;
    return { claims, refreshToken: tokens.refresh_token ?? null, scope: tokens.scope };
  }

  /** A fresh view of the identity from its refresh token (sync-oidc): the claims, and the rotated refresh token if any. */
  async refresh(refreshToken: string, subject: string): Promise<{ claims: Record<string, unknown>; refreshToken: string | null }> {
    const configuration = await this.discover();
    let tokens: Awaited<ReturnType<typeof client.refreshTokenGrant>>;
    try {
      tokens = await client.refreshTokenGrant(configuration, refreshToken);
    } catch (err) {
      throw providerError(err, 'the refresh token');
    }
    const idClaims = tokens.claims();
    if (idClaims && idClaims.sub !== subject) throw new AppError('unauthorized', 'the provider answered for another subject');
    const info = await this.userinfo(configuration, tokens.access_token, subject);
    return { claims: { ...info, ...(idClaims ?? {}), sub: subject }, refreshToken: tokens.refresh_token ?? null };
  }

  private async userinfo(configuration: client.Configuration, accessToken: string, subject: string): Promise<Record<string, unknown>> {
    if (!configuration.serverMetadata().userinfo_endpoint) return {};
    try {
      return (await client.fetchUserInfo(configuration, accessToken, subject)) as Record<string, unknown>;
    } catch (err) {
      throw providerError(err, 'reading userinfo');
    }
  }
}
