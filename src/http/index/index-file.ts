import { indexPath } from '../../core/index-line.js';
import type { Config } from '../../config/config.js';
import type { IndexEntry } from '../../services/index.service.js';

/** The answer to a GET of one index file, built the same way by the route and the fast path. */
export interface IndexFileAnswer {
  status: 200 | 304;
  headers: Record<string, string>;
  body: Buffer | null;
}

const PLAUSIBLE_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

/**
 * The crate name an index path names, when the path is the canonical place of a plausible
 * crate name (`3/s/syn`, `se/rd/serde`); anything else is a miss.
 */
export function crateOfIndexPath(path: string): string | null {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return PLAUSIBLE_NAME.test(name) && indexPath(name) === path ? name : null;
}

/** Private registries must not leave index files in shared caches. */
export function indexCacheControl(config: Config): string {
  return config.authRequired ? 'private, no-cache' : 'public, max-age=0, must-revalidate';
}

/**
 * 304 when the client's If-None-Match names either form of the file (cargo keeps whichever it
 * was sent), otherwise the gzip form when the client accepts it and the plain one if not.
 */
export function answerIndexFile(entry: IndexEntry, acceptEncoding: string | undefined, ifNoneMatch: string | undefined, cacheControl: string): IndexFileAnswer {
  const gzip = acceptEncoding !== undefined && /\bgzip\b/.test(acceptEncoding);
  const headers: Record<string, string> = { etag: gzip ? entry.gzipEtag : entry.etag, 'cache-control': cacheControl, vary: 'Accept-Encoding' };
  if (ifNoneMatch && (ifNoneMatch.includes(entry.etag) || ifNoneMatch.includes(entry.gzipEtag) || ifNoneMatch.trim() === '*')) {
    return { status: 304, headers, body: null };
  }
  headers['content-type'] = 'text/plain; charset=utf-8';
  if (gzip) headers['content-encoding'] = 'gzip';
  return { status: 200, headers, body: gzip ? entry.gzip : entry.body };
}
