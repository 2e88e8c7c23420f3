import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { type AddressClass, addressClass } from '../../core/network-address.js';

/** Resolves a host name to every address it has (dns.lookup with `all`, or a stand-in in tests). */
export type Resolve = (host: string) => Promise<LookupAddress[]>;

export const systemResolve: Resolve = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/** A connection the address rule forbids; nothing was sent to that address. */
export class RefusedTarget extends Error {
  constructor(readonly target: string) {
    super(`Wharf does not connect to ${target}`);
  }
}

/** An upstream answer: its status, headers and body (gzip already undone). */
export interface UpstreamAnswer {
  status: number;
  url: string;
  header(name: string): string | null;
  body: Readable;
}

const MAX_REDIRECTS = 4;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The address classes a transport may connect to (computed once, lazily, per transport). */
export type AddressPolicy = () => Promise<ReadonlySet<AddressClass>>;

/** Public addresses only: a peer named by someone else (a README's image) reaches nothing inside. */
export const PUBLIC_ONLY: AddressPolicy = () => Promise.resolve(new Set<AddressClass>(['public']));

/**
 * HTTP for every client that fetches what someone else names (the mirror's upstream and its `dl`
 * links, README images): redirects followed by hand (a few hops), and every connection checked on
 * the address it is about to use, after name resolution, so no name can point Wharf at an address
 * class its policy does not allow (loopback, private, link-local, metadata).
 */
export class SafeTransport {
  private allowed: Promise<ReadonlySet<AddressClass>> | null = null;
  // Idle connections close after 4 s, before a server's usual 5 s could close one under a request.
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16, timeout: 4000 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16, timeout: 4000 });

  constructor(
    private readonly policy: AddressPolicy,
    protected readonly resolve: Resolve = systemResolve,
  ) {}

  /** Closes the idle keep-alive connections (at shutdown). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** GET `url`, following redirects; `signal` bounds everything, body included. */
  async get(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<UpstreamAnswer> {
    const allowed = await this.allowedClasses();
    let current = new URL(url);
    for (let hop = 0; ; hop += 1) {
      const res = await this.once(current, headers, signal, allowed);
      const location = res.headers.location;
      if (!REDIRECTS.has(res.statusCode ?? 0) || location === undefined) return answer(current.toString(), res);
      await drain(res);
      if (hop === MAX_REDIRECTS) throw new RefusedTarget(`${location} (more than ${MAX_REDIRECTS} redirects from ${url})`);
      current = new URL(location, current);
    }
  }

  private allowedClasses(): Promise<ReadonlySet<AddressClass>> {
    this.allowed ??= this.policy().catch((err: unknown) => {
      this.allowed = null;
      throw err;
    });
    return this.allowed;
  }

  private once(target: URL, headers: Record<string, string>, signal: AbortSignal, allowed: ReadonlySet<AddressClass>): Promise<IncomingMessage> {
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new RefusedTarget(`${target} (not http or https)`);
    const literal = addressClass(target.hostname);
    if (literal !== null && !allowed.has(literal)) throw new RefusedTarget(`${target} (a ${literal} address)`);
    const lookup: LookupFunction = (host, options, callback) => {
      this.resolve(host).then(
        (addresses) => {
          const refused = addresses.find((a) => !allowed.has(addressClass(a.address) ?? 'public'));
          if (refused) return callback(new RefusedTarget(`${target} (${host} is ${refused.address}, a ${addressClass(refused.address)} address)`), '', 0);
          if (addresses.length === 0) return callback(Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' }), '', 0);
          if (options.all) return (callback as unknown as (err: null, all: LookupAddress[]) => void)(null, addresses);
          callback(null, addresses[0]!.address, addresses[0]!.family);
        },
        (err: NodeJS.ErrnoException) => callback(err, '', 0),
      );
    };
    const client = target.protocol === 'https:' ? https : http;
    const agent = target.protocol === 'https:' ? this.httpsAgent : this.httpAgent;
    return new Promise((resolve, reject) => {
      const req = client.request(target, { headers: { 'accept-encoding': 'gzip', ...headers }, signal, agent, lookup }, resolve);
      req.on('error', reject);
      req.end();
    });
  }
}

/** A redirect's own body, read to its end so the connection can carry the next request; a long one is cut. */
function drain(res: IncomingMessage, maxBytes = 64 * 1024): Promise<void> {
  return new Promise((resolve) => {
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        res.destroy();
        resolve();
      }
    });
    res.on('end', resolve);
    res.on('close', resolve);
    res.on('error', () => resolve());
  });
}

function answer(url: string, res: IncomingMessage): UpstreamAnswer {
  const encoding = res.headers['content-encoding'];
  const body = encoding === 'gzip' ? pipeline(res, createGunzip(), () => undefined) : res;
  if (encoding !== undefined && encoding !== 'gzip' && encoding !== 'identity') {
    res.destroy();
    throw new Error(`${url} came with an unknown content-encoding ${encoding}`);
  }
  return {
    status: res.statusCode ?? 0,
    url,
    header: (name) => {
      const value = res.headers[name.toLowerCase()];
      return typeof value === 'string' ? value : null;
    },
    body,
  };
}
