import { entryKind } from './crate-paths.js';
import { inflateFirstMember } from './gzip-member.js';
import { StrictTarReader } from './tar-reader.js';

/** What one read of a stored .crate found: its files (relative to the package's folder) and the wanted ones' bytes. */
export interface CrateFiles {
  files: string[];
  contents: Map<string, Buffer>;
}

/**
 * Reads a stored (so already checked) .crate once, streaming: lists its regular files without
 * the `{name}-{version}/` folder, and keeps the bytes of those `wanted` names, each up to
 * `maxFileBytes` (a longer one is left out).
 */
export async function readCrateFiles(bytes: Buffer, prefix: string, wanted: (path: string) => boolean, maxFileBytes: number, maxUnpacked: number): Promise<CrateFiles> {
  const files: string[] = [];
  const contents = new Map<string, Buffer>();
  let current: { path: string; parts: Buffer[]; size: number } | null = null;
  const reader = new StrictTarReader({
    entry(header) {
      current = null;
      if (entryKind(header.typeflag) !== 'file') return;
      if (!header.path.startsWith(prefix)) return;
      const path = header.path.slice(prefix.length);
      files.push(path);
      if (wanted(path) && header.size <= maxFileBytes) current = { path, parts: [], size: 0 };
    },
    data(chunk) {
      current?.parts.push(chunk);
    },
    entryEnd() {
      if (current) contents.set(current.path, Buffer.concat(current.parts));
      current = null;
    },
  });
  await inflateFirstMember(bytes, (chunk) => {
    if (!reader.ended) reader.write(chunk);
  }, maxUnpacked);
  reader.end();
  return { files, contents };
}

/** The commit and the package's folder from `.cargo_vcs_info.json`, as cargo writes it. */
export function parseVcsInfo(bytes: Buffer | undefined): { commit: string | null; pathInVcs: string } {
  if (!bytes) return { commit: null, pathInVcs: '' };
  try {
    const info = JSON.parse(bytes.toString('utf8')) as { git?: { sha1?: unknown }; path_in_vcs?: unknown };
    const sha1 = info.git?.sha1;
    const path = info.path_in_vcs;
    return {
      commit: typeof sha1 === 'string' && /^[0-9a-f]{7,64}$/i.test(sha1) ? sha1 : null,
      pathInVcs: typeof path === 'string' && !path.split('/').includes('..') ? path.replace(/^\/+|\/+$/g, '') : '',
    };
  } catch {
    return { commit: null, pathInVcs: '' };
  }
}
