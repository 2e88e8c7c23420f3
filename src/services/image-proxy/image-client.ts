import type { AddressClass } from '../../core/network-address.js';
import { AppError } from '../../core/errors.js';
import { type AddressPolicy, PUBLIC_ONLY, RefusedTarget, type Resolve, SafeTransport, systemResolve, type UpstreamAnswer } from '../outbound/safe-transport.js';

/** A fetched image: its type (one of IMAGE_TYPES) and bytes. */
export interface FetchedImage {
  contentType: string;
  body: Buffer;
}

/** The types the proxy passes on; anything else (HTML above all) is refused. */
export const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/svg+xml', 'image/x-icon', 'image/vnd.microsoft.icon', 'image/bmp']);

export interface ImageClientOptions {
  timeoutMs: number;
  maxBytes: number;
  /** Also reach loopback, private and link-local addresses (an intranet's images; tests). */
  allowPrivate: boolean;
  resolve?: Resolve;
}

const PRIVATE_TOO: AddressPolicy = () => Promise.resolve(new Set<AddressClass>(['public', 'loopback', 'private', 'link-local']));

/**
 * The only code that fetches README images: one deadline over redirects, headers and body, the
 * bytes counted while reading, the address of every hop checked (`SafeTransport`), and no
 * cookie, token or referrer of the reader sent along. Failures are AppErrors naming the image:
 * 504 when it is too slow, 502 for anything else.
 */
export class ImageClient {
  private readonly transport: SafeTransport;

  constructor(private readonly options: ImageClientOptions) {
    this.transport = new SafeTransport(options.allowPrivate ? PRIVATE_TOO : PUBLIC_ONLY, options.resolve ?? systemResolve);
  }

  async fetch(url: string): Promise<FetchedImage> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    let res: UpstreamAnswer;
    try {
      res = await this.transport.get(url, { 'user-agent': 'wharf-image-proxy', accept: 'image/*' }, signal);
    } catch (err) {
      throw this.fromFetchError(url, err, signal);
    }
    if (res.status !== 200) {
      res.body.destroy();
      throw failure(url, `it answered ${res.status}`);
    }
    const contentType = (res.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!IMAGE_TYPES.has(contentType)) {
      res.body.destroy();
      throw failure(url, `it is not an image (content-type ${contentType || 'missing'})`);
    }
    const { maxBytes } = this.options;
    if (Number(res.header('content-length') ?? NaN) > maxBytes) {
      res.body.destroy();
      throw failure(url, `it is larger than the ${maxBytes} bytes accepted`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) throw failure(url, `it is larger than the ${maxBytes} bytes accepted`);
        chunks.push(chunk);
      }
    } catch (err) {
      res.body.destroy();
      throw err instanceof AppError ? err : this.fromFetchError(url, err, signal);
    }
    return { contentType, body: Buffer.concat(chunks, size) };
  }

  close(): void {
    this.transport.close();
  }

  private fromFetchError(url: string, err: unknown, signal: AbortSignal): AppError {
    if (err instanceof RefusedTarget) return failure(url, `it leads to ${err.target}, and the image proxy connects only to public addresses`);
    const name = (err as Error)?.name;
    if (signal.aborted || name === 'TimeoutError' || name === 'AbortError') {
      return new AppError('gateway_timeout', `the image ${url} did not arrive within ${this.options.timeoutMs} ms`);
    }
    const cause = (err as { cause?: { code?: string; message?: string } })?.cause ?? (err as { code?: string; message?: string });
    return failure(url, `it could not be read (${cause?.code ?? cause?.message ?? 'unknown error'})`);
  }
}

const failure = (url: string, why: string) => new AppError('bad_gateway', `the image ${url} was not proxied: ${why}`);
