import { AppError } from '../../core/errors.js';

/** Largest upstream index file accepted (crates.io's largest are a few MiB). */
export const MAX_INDEX_FILE_BYTES = 16 * 1024 * 1024;
/** Largest upstream .crate accepted. */
export const MAX_CRATE_FILE_BYTES = 128 * 1024 * 1024;
const MAX_CONFIG_BYTES = 64 * 1024;

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

  constructor(
    /** The index URL, http(s) with a trailing slash. */
    readonly indexUrl: string,
    private readonly timeoutMs: number,
  ) {}

  /** A crate's index file; `validators` make the request conditional. */
  async indexFile(path: string, validators: { etag: string | null; lastModified: string | null } | null): Promise<IndexFetch> {
    const headers: Record<string, string> = {};
    if (validators?.etag) headers['if-none-match'] = validators.etag;
    if (validators?.lastModified) headers['if-modified-since'] = validators.lastModified;
    const url = new URL(path, this.indexUrl).toString();
    const res = await this.send(url, headers);
    if (res.status === 304 && (headers['if-none-match'] || headers['if-modified-since'])) {
      await res.body?.cancel();
      return { kind: 'not-modified' };
    }
    if (GONE.has(res.status)) {
      await res.body?.cancel();
      return { kind: 'gone', status: res.status };
    }
    const body = await this.read(url, res, MAX_INDEX_FILE_BYTES);
    return { kind: 'fresh', body, etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') };
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
    const body = await this.read(url, await this.send(url, {}), MAX_CONFIG_BYTES);
    let dl: unknown;
    try {
      dl = (JSON.parse(body.toString('utf8')) as { dl?: unknown }).dl;
    } catch {
      dl = undefined;
    }
    if (typeof dl !== 'string' || !URL.canParse(dl)) throw this.failure('bad_gateway', `its config.json (${url}) has no valid \`dl\` URL`);
    return dl;
  }

  /** A .crate file at `url`; any answer but 200 is a failure. */
  async crateFile(url: string): Promise<Buffer> {
    return this.read(url, await this.send(url, {}), MAX_CRATE_FILE_BYTES);
  }

  private async send(url: string, headers: Record<string, string>): Promise<Response> {
    try {
      // One deadline covers the headers and the body: the signal also aborts reads of the body.
      return await fetch(url, { headers: { 'user-agent': 'wharf-mirror', ...headers }, signal: AbortSignal.timeout(this.timeoutMs), redirect: 'follow' });
    } catch (err) {
      throw this.fromFetchError(url, err);
    }
  }

  private async read(url: string, res: Response, maxBytes: number): Promise<Buffer> {
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw this.failure('bad_gateway', `it answered ${res.status} for ${url}`);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw this.failure('bad_gateway', `${url} is ${declared} bytes, more than the ${maxBytes} accepted`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body ?? []) {
        size += chunk.length;
        if (size > maxBytes) throw this.failure('bad_gateway', `${url} is more than the ${maxBytes} bytes accepted`);
        chunks.push(Buffer.from(chunk));
      }
    } catch (err) {
      await res.body?.cancel().catch(() => undefined);
      throw err instanceof AppError ? err : this.fromFetchError(url, err);
    }
    return Buffer.concat(chunks, size);
  }

  private fromFetchError(url: string, err: unknown): AppError {
    const name = (err as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return this.failure('gateway_timeout', `it did not answer ${url} within ${this.timeoutMs} ms`);
    }
    const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
    return this.failure('bad_gateway', `${url} could not be read (${cause?.code ?? cause?.message ?? (err as Error)?.message ?? 'unknown error'})`);
  }

  private failure(code: 'bad_gateway' | 'gateway_timeout', what: string): AppError {
    return new AppError(code, `the mirror's upstream ${this.indexUrl} failed: ${what}`);
  }
}
