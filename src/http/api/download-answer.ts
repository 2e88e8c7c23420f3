import type { Config } from '../../config/config.js';

/**
 * The headers of a .crate download, the same from the route and the fast path. A version's file
 * never changes, so it may be cached for a year; a private registry's only by the client.
 */
export function downloadHeaders(config: Config, name: string, version: string, size: number): Record<string, string> {
  return {
    'content-type': 'application/gzip',
    'content-length': String(size),
    'content-disposition': `attachment; filename="${name}-${version}.crate"`,
    'cache-control': config.authRequired ? 'private, max-age=31536000, immutable' : 'public, max-age=31536000, immutable',
  };
}
