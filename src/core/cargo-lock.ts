import { parse as parseToml } from 'smol-toml';

/** One package of a Cargo.lock that comes from a registry. */
export interface LockedPackage {
  name: string;
  version: string;
  /** The `source` as written (`registry+https://github.com/rust-lang/crates.io-index`, `sparse+...`). */
  source: string;
  checksum: string | null;
}

/** How Cargo.lock names crates.io, whatever replaces it for the build. */
export const CRATES_IO_SOURCES = ['registry+https://github.com/rust-lang/crates.io-index', 'sparse+https://index.crates.io/'];

/**
 * The registry packages of a Cargo.lock (any lockfile version): path and git packages, which no
 * registry serves, are left out. Throws with a reason when the text is not a lockfile.
 */
export function parseCargoLock(text: string): LockedPackage[] {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`not a TOML file: ${(err as Error).message.split('\n')[0]}`);
  }
  const packages = doc.package ?? [];
  if (!Array.isArray(packages)) throw new Error('`package` is not a list of packages');
  const out: LockedPackage[] = [];
  for (const p of packages as Array<Record<string, unknown>>) {
    if (typeof p.name !== 'string' || typeof p.version !== 'string') throw new Error('a package has no name or version');
    if (typeof p.source !== 'string' || !/^(registry|sparse)\+/.test(p.source)) continue;
    out.push({ name: p.name, version: p.version, source: p.source, checksum: typeof p.checksum === 'string' ? p.checksum : null });
  }
  // Lockfile version 1 kept checksums in a [metadata] table: "checksum NAME VERSION (SOURCE)".
  const metadata = doc.metadata;
  if (typeof metadata === 'object' && metadata !== null) {
    for (const [key, value] of Object.entries(metadata)) {
      const m = /^checksum (\S+) (\S+) \((.+)\)$/.exec(key);
      const pkg = m && out.find((p) => p.name === m[1] && p.version === m[2] && p.source === m[3]);
      if (pkg && typeof value === 'string') pkg.checksum = value;
    }
  }
  return out;
}

/**
 * Whether a lockfile's `source` is what the mirror serves: crates.io as every lockfile names it
 * (the mirror stands in for crates.io through source replacement, whatever its upstream), or the
 * upstream's own index URL.
 */
export function isMirroredSource(source: string, upstream: string | null): boolean {
  if (CRATES_IO_SOURCES.includes(source)) return true;
  const plain = source.replace(/^(registry|sparse)\+/, '').replace(/\/?$/, '/');
  return upstream !== null && plain === upstream;
}
