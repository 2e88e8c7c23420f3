import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ServiceContext } from '../services/context.js';
import { authenticateTokenHashAtOnce, tokenHashOfHeader } from '../services/token.service.js';
import type { AccessLineWriter } from './access-log.js';
import { mayRead } from './auth.js';

/**
 * A handler on Node's server in front of Fastify, for the reads cargo makes most (index files,
 * downloads). It answers a request and returns true, or returns false and leaves the request
 * untouched for Fastify. A fast path answers only what it can answer at once and exactly as its
 * route would, from the same functions; everything else (a miss, an error, a refusal, HEAD) goes
 * to the route, so there is one place that refuses.
 */
export type FastPath = (request: IncomingMessage, response: ServerResponse) => boolean;

export interface FastPathOptions {
  accessLine: AccessLineWriter;
  /** The id the access line carries; the same sequence Fastify's requests draw from. */
  nextRequestId: () => string;
  /** True once the server is shutting down: from then on Fastify answers (503, connection close). */
  closing: () => boolean;
}

/** What a fast path sends; `then` runs once it is sent (counting a download, say). */
export interface FastAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer | null;
  then?: () => void;
}

/**
 * A fast path for GETs of URLs that start with `prefix`: `answer` says what to send, or null to
 * leave the request to the route. It sends the answer and writes the access line the route would.
 */
export function fastGet(
  prefix: string,
  { accessLine, nextRequestId, closing }: FastPathOptions,
  answer: (url: string, request: IncomingMessage) => FastAnswer | null,
): FastPath {
  return (request, response) => {
    const started = performance.now();
    const url = request.url;
    if (request.method !== 'GET' || url === undefined || !url.startsWith(prefix) || closing()) return false;
    const found = answer(url, request);
    if (!found) return false;
    response.writeHead(found.status, found.headers);
    response.end(found.body);
    found.then?.();
    accessLine(nextRequestId(), 'GET', url, found.status, performance.now() - started);
    return true;
  };
}

/** The first fast path that answers. */
export function firstOf(...paths: FastPath[]): FastPath {
  return (request, response) => paths.some((path) => path(request, response));
}

/**
 * Whether the request may read, decided at once: always on an open registry; on one that
 * requires auth, only when its token's row is known current, valid and able to read
 * (`authenticateTokenHashAtOnce`). False means "let the route decide", not "refused".
 */
export function mayReadAtOnce(ctx: ServiceContext, request: IncomingMessage): boolean {
  if (!ctx.config.authRequired) return true;
  const hash = tokenHashOf(request);
  const actor = hash === null ? undefined : authenticateTokenHashAtOnce(ctx, hash);
  return actor !== undefined && mayRead(actor);
}

/**
 * The last Authorization header seen on each connection and its token's hash: cargo sends the
 * same token on every request of a connection, so the checksum check and SHA-256 run once per
 * connection. The entry goes with the socket.
 */
const connectionTokens = new WeakMap<Socket, { header: string; hash: string | null }>();

function tokenHashOf(request: IncomingMessage): string | null {
  const header = request.headers.authorization;
  if (header === undefined) return null;
  const known = connectionTokens.get(request.socket);
  if (known && known.header === header) return known.hash;
  const hash = tokenHashOfHeader(header);
  connectionTokens.set(request.socket, { header, hash });
  return hash;
}
