import { AppError } from '../../core/errors.js';
import { type Resolve, RefusedTarget, type UpstreamAnswer, UpstreamTransport } from './upstream-transport.js';

/** Largest upstream index file accepted (crates.io's largest are a few MiB). */
export const MAX_INDEX_FILE_BYTES = 16 * 1024 * 1024;
/** Largest upstream .crate accepted. */
export const MAX_CRATE_FILE_BYTES = 128 * 1024 * 1024;
const MAX_CONFIG_BYTES = 64 * 1024;
/** .crate bytes held by fetches in progress, all together: beyond it a fetch is refused (503). */
export const MAX_CRATE_BYTES_IN_FLIGHT = 256 * 1024 * 1024;

export interface UpstreamOptions {
  /** Name resolution (tests stand in for DNS). */
  resolve?: Resolve;
  crateBytesInFlight?: number;
}

export type IndexFetch =
  | { kind: 'fresh'; body: Buffer; etag: string | null; lastModified: string | null }
  | { kind: 'not-modified' }
  /** The upstream says the crate is not (or no longer) there: 404, 410 or 451. */
  | { kind: 'gone'; status: number };

const GONE = new Set([404, 410, 451]);

/**
 * Every request Wharf makes to the mirrored registry goes through here: each is bounded in time
 * (headers and body together) and in size (counted while reading, so a lying or absent
 * Content-Length cannot grow memory), and each failure becomes an AppError that names the
 * upstream: 504 when it is too slow, 502 for anything else it does wrong.
 */
export class UpstreamClient {
  private dl: Promise<string> | null = null;
  private readonly transport: UpstreamTransport;
  private readonly crateBudget: number;
  private crateBytes = 0;

  constructor(
    /** The index URL, http(s) with a trailing slash. */
    readonly indexUrl: string,
    private readonly timeoutMs: number,
    options: UpstreamOptions = {},
  ) {
    this.transport = new UpstreamTransport(indexUrl, options.resolve);
    this.crateBudget = options.crateBytesInFlight ?? MAX_CRATE_BYTES_IN_FLIGHT;
  }

  /** A crate's index file; `validators` make the request conditional. */
  async indexFile(path: string, validators: { etag: string | null; lastModified: string | null } | null): Promise<IndexFetch> {
    const headers: Record<string, string> = {};
    if (validators?.etag) headers['if-none-match'] = validators.etag;
    if (validators?.lastModified) headers['if-modified-since'] = validators.lastModified;
    const url = new URL(path, this.indexUrl).toString();
    const { res, signal } = await this.send(url, headers);
    if (res.status === 304 && (headers['if-none-match'] || headers['if-modified-since'])) {
      res.body.destroy();
      return { kind: 'not-modified' };
    }
    if (GONE.has(res.status)) {
      res.body.destroy();
      return { kind: 'gone', status: res.status };
    }
    const body = await this.read(url, res, signal, MAX_INDEX_FILE_BYTES);
    return { kind: 'fresh', body, etag: res.header('etag'), lastModified: res.header('last-modified') };
  }

  /** The upstream's `dl` setting, read once from its config.json. */
  downloadTemplate(): Promise<string> {
    this.dl ??= this.readDl().catch((err: unknown) => {
      this.dl = null;
      throw err;
    });
    return this.dl;
  }

  private async readDl(): Promise<string> {
    const url = new URL('config.json', this.indexUrl).toString();
    const { res, signal } = await this.send(url, {});
    const body = await this.read(url, res, signal, MAX_CONFIG_BYTES);
    let dl: unknown;
    try {
      dl = (JSON.parse(body.toString('utf8')) as { dl?: unknown }).dl;
    } catch {
      dl = undefined;
    }
    if (typeof dl !== 'string' || !URL.canParse(dl)) throw this.failure('bad_gateway', `its config.json (${url}) has no valid \`dl\` URL`);
    return dl;
  }

  /**
   * A .crate file at `url`; any answer but 200 is a failure. Its bytes count against the budget of
   * bytes all fetches in progress may hold until it is read whole.
   */
  async crateFile(url: string): Promise<Buffer> {
    const { res, signal } = await this.send(url, {});
    const held = { bytes: 0 };
    try {
      return await this.read(url, res, signal, MAX_CRATE_FILE_BYTES, (more) => {
        if (this.crateBytes + more > this.crateBudget) {
          throw new AppError('unavailable', `the mirror is already fetching ${this.crateBudget} bytes of .crate files from its upstream ${this.indexUrl}; try again shortly`, { 'retry-after': '5' });
        }
        this.crateBytes += more;
        held.bytes += more;
      });
    } finally {
      this.crateBytes -= held.bytes;
    }
  }

  /** Closes the idle keep-alive connections (at shutdown). */
  close(): void {
    this.transport.close();
  }

  private async send(url: string, headers: Record<string, string>): Promise<{ res: UpstreamAnswer; signal: AbortSignal }> {
    // One deadline covers the redirects, the headers and the body.
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      return { res: await this.transport.get(url, { 'user-agent': 'wharf-mirror', ...headers }, signal), signal };
    } catch (err) {
      throw this.fromFetchError(url, err, signal);
    }
  }

  private async read(url: string, res: UpstreamAnswer, signal: AbortSignal, maxBytes: number, reserve: (bytes: number) => void = () => undefined): Promise<Buffer> {
    if (res.status !== 200) {
      res.body.destroy();
      throw this.failure('bad_gateway', `it answered ${res.status} for ${res.url}`);
    }
    const declared = Number(res.header('content-length') ?? NaN);
    if (declared > maxBytes) {
      res.body.destroy();
      throw this.failure('bad_gateway', `${res.url} is ${declared} bytes, more than the ${maxBytes} accepted`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) throw this.failure('bad_gateway', `${res.url} is more than the ${maxBytes} bytes accepted`);
        reserve(chunk.length);
        chunks.push(chunk);
      }
    } catch (err) {
      res.body.destroy();
      throw err instanceof AppError ? err : this.fromFetchError(url, err, signal);
    }
    return Buffer.concat(chunks, size);
  }

  private fromFetchError(url: string, err: unknown, signal: AbortSignal): AppError {
    if (err instanceof RefusedTarget) return this.failure('bad_gateway', `it sent Wharf to ${err.target}, which is refused: the mirror connects only to public addresses and to those like its upstream's`);
    const name = (err as Error)?.name;
    if (signal.aborted || name === 'TimeoutError' || name === 'AbortError') {
      return this.failure('gateway_timeout', `it did not answer ${url} within ${this.timeoutMs} ms`);
    }
    const cause = (err as { cause?: { code?: string; message?: string } })?.cause ?? (err as { code?: string; message?: string });
    return this.failure('bad_gateway', `${url} could not be read (${cause?.code ?? cause?.message ?? 'unknown error'})`);
  }

  private failure(code: 'bad_gateway' | 'gateway_timeout', what: string): AppError {
    return new AppError(code, `the mirror's upstream ${this.indexUrl} failed: ${what}`);
  }
}
