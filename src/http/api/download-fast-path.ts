import type { Runtime } from '../../services/runtime.js';
import { type FastPath, type FastPathOptions, fastGet, mayReadAtOnce } from '../fast-path.js';
import { downloadHeaders, wantsDownloadUrl } from './download-answer.js';

/** The download URL cargo builds from config.json's `dl`, with nothing in it to decode. */
const DOWNLOAD_URL = /^\/api\/v1\/crates\/([A-Za-z0-9_-]{1,64})\/([0-9A-Za-z.+-]{1,128})\/download$/;

/**
 * .crate downloads answered straight from Node's HTTP server (see fast-path.ts): a GET of a
 * version whose location is already known (`DownloadLocations`) and whose file the store can read
 * at once. It sends what crates.routes.ts would and counts the download; the rest (a first
 * download, an unknown version, a large or missing file) goes to that route.
 */
export function downloadFastPath(runtime: Runtime, options: FastPathOptions): FastPath {
  const { ctx } = runtime;
  const readNow = ctx.blobs.readNow?.bind(ctx.blobs);
  if (!readNow) return () => false;

  return fastGet('/api/v1/crates/', options, (url, request) => {
    const match = DOWNLOAD_URL.exec(url);
    if (!match || wantsDownloadUrl(request.headers.accept) || !mayReadAtOnce(ctx, request)) return null;
    const [, name = '', version = ''] = match;
    const location = runtime.downloadLocations.peek(name, version);
    const bytes = location && readNow(location.key);
    if (!location || !bytes) return null;
    return {
      status: 200,
      headers: downloadHeaders(ctx.config, name, version, bytes.length),
      body: bytes,
      then: () => runtime.downloads.record(location.crateId, location.versionId),
    };
  });
}
