import { indexPath } from './index-line.js';

/**
 * The folder `wharf mirror export` writes and `wharf mirror import` reads, carried across an air
 * gap: index files under `index/` (the sparse layout), .crate files under `crates/`, and
 * `manifest.json`, written last, with every file's SHA-256.
 */
export const MANIFEST_FILE = 'manifest.json';

export interface ExportedIndexFile {
  name: string;
  path: string;
  sha256: string;
  size: number;
  upstream_etag: string | null;
  upstream_last_modified: string | null;
  checked_at: string;
}

export interface ExportedCrateFile {
  name: string;
  version: string;
  path: string;
  sha256: string;
  size: number;
}

export interface MirrorManifest {
  format: 'wharf-mirror';
  format_version: 1;
  created_at: string;
  upstream: string | null;
  index_files: ExportedIndexFile[];
  crate_files: ExportedCrateFile[];
}

export const exportedIndexPath = (name: string): string => `index/${indexPath(name)}`;
export const exportedCratePath = (name: string, version: string): string => `crates/${name.toLowerCase()}/${name.toLowerCase()}-${version}.crate`;

const NAME = /^[a-z][a-z0-9_-]{0,63}$/;
const VERSION = /^[0-9A-Za-z.+-]{1,150}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** `text` read as an ISO-8601 time (what Wharf writes), else null. */
export function parseIsoTime(text: unknown): Date | null {
  if (typeof text !== 'string' || !ISO_TIME.test(text)) return null;
  const time = Date.parse(text);
  return Number.isFinite(time) ? new Date(time) : null;
}

/**
 * The manifest in `text`, checked: every entry well formed and at the one path its name and
 * version give (so no entry can point outside the folder). Throws with the first problem.
 */
export function parseMirrorManifest(text: string): MirrorManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${MANIFEST_FILE} is not JSON`);
  }
  if (doc?.format !== 'wharf-mirror' || doc.format_version !== 1) throw new Error(`${MANIFEST_FILE} is not a Wharf mirror export (format_version 1)`);
  if (!Array.isArray(doc.index_files) || !Array.isArray(doc.crate_files)) throw new Error(`${MANIFEST_FILE} lists no index_files or crate_files`);
  if (doc.upstream !== null && typeof doc.upstream !== 'string') throw new Error(`${MANIFEST_FILE} has an \`upstream\` that is neither a URL nor null`);
  for (const f of doc.index_files as ExportedIndexFile[]) {
    if (typeof f?.name !== 'string' || !NAME.test(f.name) || f.path !== exportedIndexPath(f.name) || !fileFields(f) || parseIsoTime(f.checked_at) === null) {
      throw new Error(`${MANIFEST_FILE} has a malformed index file entry: ${JSON.stringify(f).slice(0, 200)}`);
    }
  }
  for (const f of doc.crate_files as ExportedCrateFile[]) {
    if (typeof f?.name !== 'string' || !NAME.test(f.name) || typeof f.version !== 'string' || !VERSION.test(f.version) || f.path !== exportedCratePath(f.name, f.version) || !fileFields(f)) {
      throw new Error(`${MANIFEST_FILE} has a malformed crate file entry: ${JSON.stringify(f).slice(0, 200)}`);
    }
  }
  return doc as unknown as MirrorManifest;
}

function fileFields(f: { sha256?: unknown; size?: unknown }): boolean {
  return typeof f.sha256 === 'string' && SHA256.test(f.sha256) && Number.isSafeInteger(f.size) && (f.size as number) >= 0;
}
