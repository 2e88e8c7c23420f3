import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { AccessLineWriter } from '../access-log.js';
import type { Runtime } from '../../services/runtime.js';
import { authenticateTokenHashAtOnce, tokenHashOfHeader } from '../../services/token.service.js';
import { mayRead } from '../auth.js';
import { answerIndexFile, crateOfIndexPath, indexCacheControl } from './index-file.js';

/** Answers a request and returns true, or returns false and leaves it untouched for Fastify. */
export type FastPath = (request: IncomingMessage, response: ServerResponse) => boolean;

export interface FastPathOptions {
  accessLine: AccessLineWriter;
  /** The id the access line carries; the same sequence Fastify's requests draw from. */
  nextRequestId: () => string;
  /** True once the server is shutting down: from then on Fastify answers (503, connection close). */
  closing: () => boolean;
}

/**
 * Index-file reads answered straight from Node's HTTP server, before Fastify: the request cargo
 * repeats most, and one where Fastify's routing, hooks and reply object cost more than the answer
 * itself (bench/README.md). It answers only what it can answer at once and exactly as the route
 * in index.routes.ts would (same headers and bytes, same access line, built by the same
 * functions): a GET of a crate's canonical index path whose file is cached, and on a registry
 * that requires auth, whose token is known to be current, valid and able to read. Everything else
 * (a miss, a render, any error, HEAD, a token to look up or refuse) goes to the route, so there
 * is one place that refuses.
 */
export function indexFastPath(runtime: Runtime, { accessLine, nextRequestId, closing }: FastPathOptions): FastPath {
  const { ctx } = runtime;
  const { config } = ctx;
  const cacheControl = indexCacheControl(config);
  // At trace level every request's headers are logged by a Fastify hook; let it see them all.
  if (config.logLevel === 'trace') return () => false;

  return (request, response) => {
    const started = performance.now();
    const url = request.url;
    if (request.method !== 'GET' || url === undefined || !url.startsWith('/index/') || closing()) return false;
    const name = crateOfIndexPath(url.slice('/index/'.length));
    if (name === null) return false;
    if (config.authRequired) {
      const hash = tokenHashOf(request);
      const actor = hash === null ? undefined : authenticateTokenHashAtOnce(ctx, hash);
      if (!actor || !mayRead(actor)) return false;
    }
    const entry = runtime.index.peek(name);
    if (!entry) return false;

    const answer = answerIndexFile(entry, request.headers['accept-encoding'], request.headers['if-none-match'], cacheControl);
    if (answer.body) answer.headers['content-length'] = String(answer.body.length);
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
    accessLine(nextRequestId(), 'GET', url, answer.status, performance.now() - started);
    return true;
  };
}

/**
 * The last Authorization header seen on each connection and its token's hash: cargo sends the
 * same token on every request of a connection, so the checksum check and SHA-256 run once per
 * connection. The entry goes with the socket; it holds nothing the socket's own request did not.
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
