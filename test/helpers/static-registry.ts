import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type IndexDependency, indexPath, renderIndexLine } from '../../src/core/index-line.js';
import { crateTarball } from './crate-builder.js';

/** What the upstream does wrong to the next matching requests. */
export type Fault =
  /** Waits this long before answering (with `status` and a short body, when given). */
  | { kind: 'slow'; ms: number; status?: number }
  /** Closes the connection without an answer. */
  | { kind: 'reset' }
  /** Answers this status with a short body. */
  | { kind: 'status'; status: number }
  /** Answers 200 with bytes that are not what was asked for. */
  | { kind: 'garbage'; body: Buffer }
  /** Answers 200 with a body of `bytes` bytes, streamed without a Content-Length. */
  | { kind: 'oversize'; bytes: number }
  /** Answers 302 to `location`. */
  | { kind: 'redirect'; location: string };

export interface UpstreamVersionSpec {
  name: string;
  vers: string;
  /** `[dependencies]` of the package: name -> requirement (all from the same registry). */
  deps?: Record<string, string>;
  /** `[build-dependencies]` and `[dev-dependencies]`, the same way. */
  buildDeps?: Record<string, string>;
  devDeps?: Record<string, string>;
  /** The library's source. */
  lib?: string;
  yanked?: boolean;
}

interface Stored {
  spec: UpstreamVersionSpec;
  bytes: Buffer;
  cksum: string;
  publishedAt: Date;
}

/**
 * A static sparse registry on 127.0.0.1, standing in for crates.io: index files with ETags and
 * Last-Modified (304 on a match), .crate files at a `dl` template, a log of the paths asked, and
 * faults injected per path.
 */
export class StaticRegistry {
  readonly requests: Array<{ path: string; ifNoneMatch: string | undefined }> = [];
  private readonly crates = new Map<string, Stored[]>();
  private faults: Array<{ match: (path: string) => boolean; fault: Fault; times: number }> = [];
  /** Requests being answered now, and the most there ever were at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** Changed to make every ETag change while the files stay the same (a CDN or a rebuild upstream). */
  etagSeed = '';
  private server: Server | null = null;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get indexUrl(): string {
    return `${this.url}/index/`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    this.server = server;
    return this;
  }

  /** Stops listening and cuts every open connection; `start` listens again on the same port. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async publish(spec: UpstreamVersionSpec): Promise<Stored> {
    const table = (title: string, deps: Record<string, string> = {}) =>
      Object.keys(deps).length > 0 ? `[${title}]\n${Object.entries(deps).map(([n, r]) => `${n} = "${r}"`).join('\n')}\n` : '';
    const manifest = [
      `[package]\nname = "${spec.name}"\nversion = "${spec.vers}"\nedition = "2021"\n`,
      table('dependencies', spec.deps),
      table('build-dependencies', spec.buildDeps),
      table('dev-dependencies', spec.devDeps),
    ].join('\n');
    const bytes = await crateTarball({ name: spec.name, vers: spec.vers, manifest, files: { 'src/lib.rs': spec.lib ?? 'pub fn hello() {}\n' } });
    const stored = { spec, bytes, cksum: createHash('sha256').update(bytes).digest('hex'), publishedAt: new Date() };
    const list = this.crates.get(spec.name.toLowerCase()) ?? [];
    list.push(stored);
    this.crates.set(spec.name.toLowerCase(), list);
    return stored;
  }

  setYanked(name: string, vers: string, yanked: boolean): void {
    const stored = this.crates.get(name.toLowerCase())?.find((s) => s.spec.vers === vers);
    if (!stored) throw new Error(`no ${name}@${vers} upstream`);
    stored.spec = { ...stored.spec, yanked };
  }

  /** The bytes of one published .crate. */
  crate(name: string, vers: string): Stored {
    const stored = this.crates.get(name.toLowerCase())?.find((s) => s.spec.vers === vers);
    if (!stored) throw new Error(`no ${name}@${vers} upstream`);
    return stored;
  }

  /** Removes a crate entirely (its index file answers 404 from now on). */
  remove(name: string): void {
    this.crates.delete(name.toLowerCase());
  }

  /** Injects `fault` into the next `times` requests (all, by default) whose path contains `pathPart`, until cleared. */
  inject(pathPart: string, fault: Fault, times = Infinity): void {
    this.faults.push({ match: (path) => path.includes(pathPart), fault, times });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** How many requests asked for a path containing `pathPart`. */
  count(pathPart: string): number {
    return this.requests.filter((r) => r.path.includes(pathPart)).length;
  }

  indexFile(name: string): string {
    return (this.crates.get(name.toLowerCase()) ?? [])
      .map((s) => {
        const kinds = [['normal', s.spec.deps], ['build', s.spec.buildDeps], ['dev', s.spec.devDeps]] as const;
        const deps: IndexDependency[] = kinds.flatMap(([kind, list]) =>
          Object.entries(list ?? {}).map(([dep, req]) => ({
            name: dep,
            explicitName: null,
            req,
            features: [],
            optional: false,
            defaultFeatures: true,
            target: null,
            kind,
            registry: null,
          })),
        );
        const line = { name: s.spec.name, vers: s.spec.vers, deps, cksum: s.cksum, features: {}, yanked: s.spec.yanked ?? false };
        return `${renderIndexLine({ ...line, links: null, rustVersion: null, publishedAt: s.publishedAt })}\n`;
      })
      .join('');
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    this.requests.push({ path, ifNoneMatch: req.headers['if-none-match'] });
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.once('close', () => (this.inFlight -= 1));
    const injected = this.faults.find((f) => f.times > 0 && f.match(path));
    if (injected) injected.times -= 1;
    const fault = injected?.fault;
    if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (res.destroyed) return;
    if (fault?.kind === 'slow' && fault.status) return void res.writeHead(fault.status, { 'content-type': 'text/plain' }).end(`fault ${fault.status}`);
    if (fault?.kind === 'reset') return void req.socket.destroy();
    if (fault?.kind === 'status') return void res.writeHead(fault.status, { 'content-type': 'text/plain' }).end(`fault ${fault.status}`);
    if (fault?.kind === 'garbage') return void res.writeHead(200).end(fault.body);
    if (fault?.kind === 'oversize') return this.stream(res, fault.bytes);
    if (fault?.kind === 'redirect') return void res.writeHead(302, { location: fault.location }).end();

    if (path === '/index/config.json') {
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ dl: `${this.url}/files/{lowerprefix}/{crate}/{crate}-{version}.crate` }));
    }
    if (path.startsWith('/index/')) {
      const name = path.slice(path.lastIndexOf('/') + 1);
      if (!this.crates.has(name) || `/index/${indexPath(name)}` !== path) return void res.writeHead(404).end('not found');
      const body = this.indexFile(name);
      const etag = `"${createHash('sha256').update(this.etagSeed + body).digest('hex').slice(0, 20)}"`;
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
      return void res.writeHead(200, { etag, 'content-type': 'text/plain' }).end(body);
    }
    const [crate = '', fileName = ''] = path.split('/').slice(-2);
    const version = fileName.slice(crate.length + 1, -'.crate'.length);
    const stored = path.startsWith('/files/') ? this.crates.get(crate.toLowerCase())?.find((s) => s.spec.vers === version) : undefined;
    if (!stored) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(stored.bytes.length) }).end(stored.bytes);
  }

  private stream(res: ServerResponse, bytes: number): void {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let sent = 0;
    const more = (): void => {
      while (sent < bytes && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  }
}
