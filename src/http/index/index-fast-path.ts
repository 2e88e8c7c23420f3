import type { IndexEntry } from '../../services/index.service.js';
import type { Runtime } from '../../services/runtime.js';
import { type FastPath, type FastPathOptions, fastGet, mayReadAtOnce } from '../fast-path.js';
import { answerIndexFile, crateOfIndexPath, indexCacheControl } from './index-file.js';

/**
 * Index-file reads answered straight from Node's HTTP server (see fast-path.ts): the request
 * cargo repeats most, and one where Fastify's routing, hooks and reply object cost more than the
 * answer itself (bench/README.md). It answers a GET of a crate's canonical index path whose file
 * is cached, with the headers and bytes index.routes.ts would send; the rest goes to that route.
 */
export function indexFastPath(runtime: Runtime, options: FastPathOptions): FastPath {
  return indexFileFastPath(runtime, options, '/index/', (name) => runtime.index.peek(name));
}

/**
 * The same for the mirror's index (mirror.routes.ts): files held fresh, so a warm mirror read
 * costs what a private one does. Stale files, misses and revalidations go to the route.
 */
export function mirrorIndexFastPath(runtime: Runtime, options: FastPathOptions): FastPath {
  const { mirror } = runtime;
  if (!mirror) return () => false;
  return indexFileFastPath(runtime, options, '/mirror/index/', (name) => mirror.index.peek(name));
}

function indexFileFastPath(runtime: Runtime, options: FastPathOptions, prefix: string, peek: (name: string) => IndexEntry | undefined): FastPath {
  const { ctx } = runtime;
  const cacheControl = indexCacheControl(ctx.config);

  return fastGet(prefix, options, (url, request) => {
    const name = crateOfIndexPath(url.slice(prefix.length));
    if (name === null || !mayReadAtOnce(ctx, request)) return null;
    const entry = peek(name);
    if (!entry) return null;
    const answer = answerIndexFile(entry, request.headers['accept-encoding'], request.headers['if-none-match'], cacheControl);
    if (answer.body) answer.headers['content-length'] = String(answer.body.length);
    return answer;
  });
}
