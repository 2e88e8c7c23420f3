import { performance } from 'node:perf_hooks';
import type { Runtime } from '../../services/runtime.js';
import { type FastPath, type FastPathOptions, mayReadAtOnce } from '../fast-path.js';
import { downloadHeaders } from './download-answer.js';

/** The download URL cargo builds from config.json's `dl`, with nothing in it to decode. */
const DOWNLOAD_URL = /^\/api\/v1\/crates\/([A-Za-z0-9_-]{1,64})\/([0-9A-Za-z.+-]{1,128})\/download$/;

/**
 * .crate downloads answered straight from Node's HTTP server (see fast-path.ts): a GET of a
 * version whose location is already known (`DownloadLocations`) and whose file the store can read
 * at once. It counts the download and sends what crates.routes.ts would; the rest (a first
 * download, an unknown version, a large or missing file) goes to that route.
 */
export function downloadFastPath(runtime: Runtime, { accessLine, nextRequestId, closing }: FastPathOptions): FastPath {
  const { ctx } = runtime;
  const readNow = ctx.blobs.readNow?.bind(ctx.blobs);
  if (!readNow) return () => false;

  return (request, response) => {
    const started = performance.now();
    const url = request.url;
    if (request.method !== 'GET' || url === undefined || !url.startsWith('/api/v1/crates/') || closing()) return false;
    const match = DOWNLOAD_URL.exec(url);
    if (!match || !mayReadAtOnce(ctx, request)) return false;
    const [, name = '', version = ''] = match;
    const location = runtime.downloadLocations.peek(name, version);
    const bytes = location && readNow(location.key);
    if (!location || !bytes) return false;

    runtime.downloads.record(location.crateId, location.versionId);
    response.writeHead(200, downloadHeaders(ctx.config, name, version, bytes.length));
    response.end(bytes);
    accessLine(nextRequestId(), 'GET', url, 200, performance.now() - started);
    return true;
  };
}
