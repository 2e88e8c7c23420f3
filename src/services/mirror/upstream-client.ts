import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { gunzip } from 'node:zlib';
import { AppError } from '../../core/errors.js';

/** Largest upstream index file accepted (crates.io's largest are a few MiB). */
export const MAX_INDEX_FILE_BYTES = 16 * 1024 * 1024;
/** Largest upstream .crate accepted. */
export const MAX_CRATE_FILE_BYTES = 128 * 1024 * 1024;
const MAX_CONFIG_BYTES = 64 * 1024;
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** An unwanted body (an error page) is drained up to this for the connection's reuse, then dropped. */
const MAX_DRAINED_BYTES = 64 * 1024;

export type IndexFetch =
  | { kind: 'fresh'; body: Buffer; etag: string | null; lastModified: string | null }
  | { kind: 'not-modified' }
  /** The upstream says the crate is not (or no longer) there: 404, 410 or 451. */
  | { kind: 'gone'; status: number };

const GONE = new Set([404, 410, 451]);

/** An upstream answer: its status and headers, and its body when the caller wanted it. */
interface Answer {
  status: number;
  header(name: string): string | null;
  body: Buffer | null;
}

/** One request's limits: its deadline (covering redirects, headers and body) and its byte cap. */
interface Limits {
  deadline: number;
  maxBytes: number;
  /** Whether a body with this status is read (the others are drained or dropped unread). */
  wants(status: number): boolean;
}

/**
 * Every request Wharf makes to the mirrored registry goes through here: each is bounded in time
 * (headers and body together) and in size (counted while reading, so a lying or absent
 * Content-Length cannot grow memory), and each failure becomes an AppError that names the
 * upstream: 504 when it is too slow, 502 for anything else it does wrong.
 *
 * It speaks through Node's http and https modules with keep-alive agents rather than `fetch`:
 * a cold mirror makes one upstream request per file cargo asks for, and `fetch` costs about three
 * times the CPU per request (and tens of milliseconds to load on its first use).
 */
export class UpstreamClient {
  private dl: Promise<string> | null = null;
  /** Idle connections are closed after 4 s, before servers' usual 5 s (Node's) would close them under a request. */
  private readonly agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 16, timeout: 4000 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 16, timeout: 4000 }),
  };

  constructor(
    /** The index URL, http(s) with a trailing slash. */
    readonly indexUrl: string,
    private readonly timeoutMs: number,
  ) {}

  /** A crate's index file; `validators` make the request conditional. */
  async indexFile(path: string, validators: { etag: string | null; lastModified: string | null } | null): Promise<IndexFetch> {
    const headers: Record<string, string> = { 'accept-encoding': 'gzip' };
    if (validators?.etag) headers['if-none-match'] = validators.etag;
    if (validators?.lastModified) headers['if-modified-since'] = validators.lastModified;
    const url = new URL(path, this.indexUrl).toString();
    const res = await this.get(url, headers, MAX_INDEX_FILE_BYTES, (status) => !(status === 304 && validators) && !GONE.has(status));
    if (res.status === 304 && validators) return { kind: 'not-modified' };
    if (GONE.has(res.status)) return { kind: 'gone', status: res.status };
    return { kind: 'fresh', body: res.body as Buffer, etag: res.header('etag'), lastModified: res.header('last-modified') };
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
    const { body } = await this.get(url, {}, MAX_CONFIG_BYTES, () => true);
    let dl: unknown;
    try {
      dl = (JSON.parse((body as Buffer).toString('utf8')) as { dl?: unknown }).dl;
    } catch {
      dl = undefined;
    }
    if (typeof dl !== 'string' || !URL.canParse(dl)) throw this.failure('bad_gateway', `its config.json (${url}) has no valid \`dl\` URL`);
    return dl;
  }

  /** A .crate file at `url`; any answer but 200 is a failure. */
  async crateFile(url: string): Promise<Buffer> {
    return (await this.get(url, {}, MAX_CRATE_FILE_BYTES, () => true)).body as Buffer;
  }

  /** Closes the idle keep-alive connections (at shutdown). */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /**
   * A GET of `url`, following redirects; a wanted answer must be 200 and its body is read (and
   * gunzipped when sent so) under `maxBytes`; any other answer comes back without its body.
   */
  private async get(url: string, headers: Record<string, string>, maxBytes: number, wants: (status: number) => boolean): Promise<Answer> {
    const limits: Limits = { deadline: Date.now() + this.timeoutMs, maxBytes, wants };
    let target = url;
    for (let hops = 0; ; hops++) {
      const res = await this.exchange(target, headers, limits);
      const location = res.header('location');
      if (!REDIRECTS.has(res.status) || location === null) return res;
      if (hops >= MAX_REDIRECTS) throw this.failure('bad_gateway', `it redirected ${url} more than ${MAX_REDIRECTS} times`);
      target = new URL(location, target).toString();
    }
  }

  private exchange(url: string, headers: Record<string, string>, limits: Limits, retry = true): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      let settled = false;
      const fail = (err: AppError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(err);
      };
      const done = (answer: Answer) => {
        settled = true;
        clearTimeout(timer);
        resolve(answer);
      };
      const parsed = new URL(url);
      const secure = parsed.protocol === 'https:';
      if (!secure && parsed.protocol !== 'http:') return reject(this.failure('bad_gateway', `${url} is not an http(s) URL`));
      const send = secure ? httpsRequest : httpRequest;
      const req = send(parsed, { headers: { 'user-agent': 'wharf-mirror', ...headers }, agent: secure ? this.agents.https : this.agents.http });
      const timer = setTimeout(() => fail(this.failure('gateway_timeout', `it did not answer ${url} within ${this.timeoutMs} ms`)), Math.max(0, limits.deadline - Date.now()));
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive connection the server closed just as it was reused: asked again once, on a new one.
        if (retry && req.reusedSocket && !answered && (err.code === 'ECONNRESET' || err.code === 'EPIPE') && !settled) {
          settled = true;
          clearTimeout(timer);
          return void this.exchange(url, headers, limits, false).then(resolve, reject);
        }
        fail(this.failure('bad_gateway', `${url} could not be read (${err.code ?? err.message})`));
      });
      let answered = false;
      req.on('response', (res: IncomingMessage) => {
        answered = true;
        const status = res.statusCode ?? 0;
        const header = (name: string): string | null => {
          const value = res.headers[name];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        };
        if (REDIRECTS.has(status) || !limits.wants(status)) {
          // Small bodies are drained so the connection is reused; the deadline still covers it.
          let drained = 0;
          res.on('data', (chunk: Buffer) => {
            drained += chunk.length;
            if (drained <= MAX_DRAINED_BYTES || settled) return;
            done({ status, header, body: null });
            req.destroy();
          });
          res.on('end', () => !settled && done({ status, header, body: null }));
          return;
        }
        if (status !== 200) return fail(this.failure('bad_gateway', `it answered ${status} for ${url}`));
        const encoding = header('content-encoding');
        if (encoding !== null && encoding !== 'gzip' && encoding !== 'identity') return fail(this.failure('bad_gateway', `it sent ${url} with an unknown content-encoding ${encoding}`));
        const declared = Number(header('content-length') ?? NaN);
        if (declared > limits.maxBytes && encoding !== 'gzip') return fail(this.failure('bad_gateway', `${url} is ${declared} bytes, more than the ${limits.maxBytes} accepted`));
        const tooBig = () => this.failure('bad_gateway', `${url} is more than the ${limits.maxBytes} bytes accepted`);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limits.maxBytes) return fail(tooBig());
          chunks.push(chunk);
        });
        res.on('error', (err) => fail(this.failure('bad_gateway', `${url} could not be read (${(err as NodeJS.ErrnoException).code ?? err.message})`)));
        res.on('close', () => !res.complete && fail(this.failure('bad_gateway', `${url} could not be read (the connection closed)`)));
        res.on('end', () => {
          if (settled) return;
          const body = Buffer.concat(chunks, size);
          if (encoding !== 'gzip') return done({ status, header, body });
          gunzip(body, { maxOutputLength: limits.maxBytes }, (err, plain) => {
            if (settled) return;
            if (err) return fail((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? tooBig() : this.failure('bad_gateway', `${url} is not valid gzip`));
            done({ status, header, body: plain });
          });
        });
      });
      req.end();
    });
  }

  private failure(code: 'bad_gateway' | 'gateway_timeout', what: string): AppError {
    return new AppError(code, `the mirror's upstream ${this.indexUrl} failed: ${what}`);
  }
}
