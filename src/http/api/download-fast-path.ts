import type { CrateFileCache } from '../../services/crate-cache/crate-file-cache.js';
import type { Runtime } from '../../services/runtime.js';
import { type FastPath, type FastPathOptions, fastGet, mayReadAtOnce } from '../fast-path.js';
import { downloadHeaders, wantsDownloadUrl } from './download-answer.js';

/** Where a known version's file is, and how its download is counted. */
interface KnownFile {
  key: string;
  count: () => void;
}

/**
 * .crate downloads answered straight from Node's HTTP server (see fast-path.ts): a GET of a
 * version whose location is already known (`DownloadLocations`) and whose file is kept in memory
 * (`CrateFileCache`, answered with headers made once, like an index file) or can be read at once
 * from the store (then offered to the cache). It sends what crates.routes.ts would and counts the
 * download; the rest (a first download, an unknown version, a large or missing file, a remote
 * store's file not kept yet) goes to that route.
 */
export function downloadFastPath(runtime: Runtime, options: FastPathOptions): FastPath {
  return fileFastPath(runtime, options, '/api/v1/crates/', runtime.crateFiles, (name, version) => {
    const location = runtime.downloadLocations.peek(name, version);
    return location && { key: location.key, count: () => runtime.downloads.record(location.crateId, location.versionId) };
  });
}

/** The same for the mirror's downloads (mirror.routes.ts), of versions already found stored. */
export function mirrorDownloadFastPath(runtime: Runtime, options: FastPathOptions): FastPath {
  const { mirror } = runtime;
  if (!mirror) return () => false;
  // Not through the memory cache: `wharf mirror remove` deletes a file from another process, and
  // only the file's absence tells the servers to stop sending it.
  return fileFastPath(runtime, options, '/mirror/api/v1/crates/', undefined, (name, version) => {
    const key = mirror.crates.peekKey(name, version);
    return key === undefined ? undefined : { key, count: () => mirror.crates.counted(name, version, true) };
  });
}

function fileFastPath(
  runtime: Runtime,
  options: FastPathOptions,
  prefix: string,
  crateFiles: CrateFileCache | undefined,
  locate: (name: string, version: string) => KnownFile | undefined,
): FastPath {
  const { ctx } = runtime;
  const readNow = ctx.blobs.readNow?.bind(ctx.blobs);
  // Redirects are answered by the routes, which authenticate and count them.
  if ((!readNow && !crateFiles) || ctx.config.downloads === 'redirect') return () => false;
  // The download URL cargo builds from config.json's `dl`, with nothing in it to decode.
  const pattern = /^([A-Za-z0-9_-]{1,64})\/([0-9A-Za-z.+-]{1,128})\/download$/;
  // The headers of the spelling each kept file was last asked under: a hot file's come ready.
  const prepared = new WeakMap<Buffer, { url: string; headers: Record<string, string> }>();

  return fastGet(prefix, options, (url, request) => {
    const match = pattern.exec(url.slice(prefix.length));
    // A request for the file's URL as JSON (crates.io's API) is the route's to answer.
    if (!match || wantsDownloadUrl(request.headers.accept) || !mayReadAtOnce(ctx, request)) return null;
    const [, name = '', version = ''] = match;
    const known = locate(name, version);
    if (!known) return null;
    const kept = crateFiles?.peek(known.key);
    if (kept) {
      let ready = prepared.get(kept);
      if (ready?.url !== url) prepared.set(kept, (ready = { url, headers: downloadHeaders(ctx.config, name, version, kept.length) }));
      return { status: 200, headers: ready.headers, body: kept, then: known.count };
    }
    // A store that cannot read at once (a remote one) leaves the first reads to the route, which fills the cache.
    const bytes = readNow?.(known.key);
    if (!bytes) return null;
    crateFiles?.offer(known.key, bytes);
    return { status: 200, headers: downloadHeaders(ctx.config, name, version, bytes.length), body: bytes, then: known.count };
  });
}
