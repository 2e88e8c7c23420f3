import { importJWK, type JWK } from 'jose';
import { isLoopback, type TrustedIssuer } from '../../config/trusted-issuers.js';
import { AppError } from '../../core/errors.js';
import type { Clock } from '../context.js';

/** Discovery documents and key sets are a few KiB; anything far larger is not one. */
const MAX_DOCUMENT_BYTES = 256 * 1024;
const MAX_KEYS = 100;
const TIMEOUT_MS = 10_000;
/** An unknown `kid` fetches the key set again at most this often, so forged tokens cannot make Wharf hammer the issuer. */
const MIN_REFRESH_MS = 60_000;
/** Known keys are read again after this long, so a key the issuer withdraws stops being trusted. */
const MAX_KEY_AGE_MS = 3600_000;

type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

export interface IssuerClientOptions {
  timeoutMs?: number;
  minRefreshMs?: number;
}

/**
 * The only code that talks to a trusted CI issuer: it reads the discovery document
 * (`/.well-known/openid-configuration`) and the key set it names, each bounded in time and
 * size, keeps the keys, and reads them again when a token names a key it does not know, at
 * most once a minute. Every failure is an AppError naming the issuer.
 */
export class IssuerClient {
  private keys = new Map<string, JWK>();
  private loadedAt = -Infinity;
  private loading: Promise<void> | null = null;
  private readonly timeoutMs: number;
  private readonly minRefreshMs: number;

  constructor(
    readonly issuer: TrustedIssuer,
    private readonly clock: Clock,
    options: IssuerClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
    this.minRefreshMs = options.minRefreshMs ?? MIN_REFRESH_MS;
  }

  /** The public key `kid` names, or null when the issuer (read again if allowed) has none by that id. */
  async key(kid: string, alg: string): Promise<VerifyKey | null> {
    let jwk = this.keys.get(kid);
    const age = this.clock.now().getTime() - this.loadedAt;
    if (!jwk && age >= this.minRefreshMs) {
      await this.refresh();
      jwk = this.keys.get(kid);
    } else if (jwk && age >= MAX_KEY_AGE_MS) {
      // A key the issuer withdrew must stop working even while tokens keep naming it.
      try {
        await this.refresh();
      } catch {
        // The issuer is unreachable: the known keys stay until it answers again.
      }
      jwk = this.keys.get(kid);
    }
    if (!jwk) return null;
    if (jwk.alg !== undefined && jwk.alg !== alg) return null;
    try {
      return await importJWK(jwk, alg);
    } catch {
      return null;
    }
  }

  /** Concurrent misses share one fetch. */
  private refresh(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    // A failed attempt also counts, so an issuer that is down is not asked on every request.
    this.loadedAt = this.clock.now().getTime();
    const discovery = await this.json(`${this.issuer.url}/.well-known/openid-configuration`);
    if (discovery.issuer !== this.issuer.url) {
      throw this.failure(`its discovery document names the issuer \`${String(discovery.issuer)}\`, not itself`);
    }
    const jwksUri = discovery.jwks_uri;
    if (typeof jwksUri !== 'string' || !this.allowedUrl(jwksUri)) {
      throw this.failure(`its discovery document has no usable \`jwks_uri\` (https, or http on loopback)`);
    }
    const jwks = await this.json(jwksUri);
    if (!Array.isArray(jwks.keys)) throw this.failure(`its key set at ${jwksUri} has no \`keys\` array`);
    const keys = new Map<string, JWK>();
    for (const key of (jwks.keys as unknown[]).slice(0, MAX_KEYS)) {
      if (typeof key !== 'object' || key === null) continue;
      const jwk = key as JWK;
      if (typeof jwk.kid === 'string' && (jwk.use === undefined || jwk.use === 'sig')) keys.set(jwk.kid, jwk);
    }
    this.keys = keys;
  }

  private allowedUrl(raw: string): boolean {
    if (!URL.canParse(raw)) return false;
    const url = new URL(raw);
    return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname));
  }

  private async json(url: string): Promise<Record<string, unknown>> {
    let res: Response;
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      // Redirects are not followed: one could lead to plain http on another host.
      res = await fetch(url, { headers: { accept: 'application/json', 'user-agent': 'wharf-trusted-publishing' }, signal, redirect: 'error' });
    } catch (err) {
      throw this.fromFetchError(url, err);
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw this.failure(`it answered ${res.status} for ${url}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body ?? []) {
        size += chunk.length;
        if (size > MAX_DOCUMENT_BYTES) throw this.failure(`${url} is more than the ${MAX_DOCUMENT_BYTES} bytes accepted`);
        chunks.push(Buffer.from(chunk));
      }
    } catch (err) {
      await res.body?.cancel().catch(() => undefined);
      throw err instanceof AppError ? err : this.fromFetchError(url, err);
    }
    try {
      const value = JSON.parse(Buffer.concat(chunks, size).toString('utf8')) as unknown;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // answered below
    }
    throw this.failure(`${url} is not a JSON object`);
  }

  private fromFetchError(url: string, err: unknown): AppError {
    const name = (err as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new AppError('gateway_timeout', `the trusted publishing issuer ${this.issuer.url} did not answer ${url} within ${this.timeoutMs} ms`);
    }
    const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
    return this.failure(`${url} could not be read (${cause?.code ?? cause?.message ?? (err as Error)?.message ?? 'unknown error'})`);
  }

  private failure(what: string): AppError {
    return new AppError('bad_gateway', `the trusted publishing issuer ${this.issuer.url} failed: ${what}`);
  }
}
