import type { Config } from '../../config/config.js';
import type { ServiceContext } from '../../services/context.js';

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

/**
 * crates.io answers a download asked for with `Accept: application/json` with `{"url": ...}`
 * instead of the file (tools use it to find where the file is). cargo never asks for JSON.
 */
export function wantsDownloadUrl(accept: string | undefined): boolean {
  return accept !== undefined && /\bapplication\/json\b/i.test(accept);
}

/** The address of a version's file, which serves the bytes to any request that does not ask for JSON. */
export function downloadUrl(config: Config, name: string, version: string): string {
  return `${config.publicUrl}/api/v1/crates/${encodeURIComponent(name)}/${encodeURIComponent(version)}/download`;
}

/**
 * With `downloads = "redirect"`: the 302 to a presigned URL of the file, when the store can sign
 * one (null otherwise, and the bytes are sent). The URL grants the file for a few minutes
 * (`s3_presign_seconds`) to whoever holds it, so the answer must not be cached by anyone.
 */
export async function redirectToFile(ctx: ServiceContext, key: string, name: string, version: string): Promise<{ location: string; headers: Record<string, string> } | null> {
  if (ctx.config.downloads !== 'redirect' || !ctx.blobs.signedUrl) return null;
  const location = await ctx.blobs.signedUrl(key, `${name}-${version}.crate`);
  return { location, headers: { location, 'cache-control': 'private, no-store' } };
}
