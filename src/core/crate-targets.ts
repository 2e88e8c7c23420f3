/**
 * What crates.io's version document says about a crate's targets: its edition, whether it has a
 * library, and its binaries' names. Read from the uploaded Cargo.toml and the files the .crate
 * holds, with cargo's target discovery: a `[lib]` table or `src/lib.rs` makes a library; the
 * `[[bin]]` tables name binaries, and unless `autobins = false` so do `src/main.rs` (the package's
 * name), `src/bin/NAME.rs` and `src/bin/NAME/main.rs`. As cargo does for the 2015 edition,
 * declaring any binary there turns the discovery of binaries off. Pure.
 */

export interface CrateTargets {
  edition: string | null;
  hasLib: boolean;
  binNames: string[];
}

type Table = Record<string, unknown>;

const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/**
 * `manifest` is the parsed Cargo.toml; `files` the regular files of the archive, each under
 * `prefix` (`{name}-{version}/`).
 */
export function crateTargets(manifest: Table, files: readonly string[], prefix: string): CrateTargets {
  const pkg = isTable(manifest.package) ? manifest.package : {};
  const edition = typeof pkg.edition === 'string' ? pkg.edition : null;
  const paths = new Set(files.filter((f) => f.startsWith(prefix)).map((f) => f.slice(prefix.length)));

  const autolib = pkg.autolib !== false;
  const hasLib = isTable(manifest.lib) || (autolib && paths.has('src/lib.rs'));

  const declared = Array.isArray(manifest.bin) ? manifest.bin.filter(isTable) : [];
  const names: string[] = [];
  const seenPaths = new Set<string>();
  for (const bin of declared) {
    if (typeof bin.path === 'string') seenPaths.add(bin.path.replace(/^\.\//, ''));
    if (typeof bin.name === 'string' && !names.includes(bin.name)) names.push(bin.name);
  }
  const legacyOff = (edition === null || edition === '2015') && declared.length > 0;
  if (pkg.autobins !== false && !legacyOff) {
    for (const [name, path] of discoveredBins(paths, typeof pkg.name === 'string' ? pkg.name : null)) {
      if (!names.includes(name) && !seenPaths.has(path)) names.push(name);
    }
  }
  return { edition, hasLib, binNames: names };
}

/** Binaries found by their place in the tree: `[name, path]`, the main one first, then by name. */
function discoveredBins(paths: ReadonlySet<string>, packageName: string | null): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  if (packageName !== null && paths.has('src/main.rs')) found.push([packageName, 'src/main.rs']);
  const inBin: Array<[string, string]> = [];
  for (const path of paths) {
    const file = /^src\/bin\/([^/]+)\.rs$/.exec(path);
    if (file) inBin.push([file[1]!, path]);
    const dir = /^src\/bin\/([^/]+)\/main\.rs$/.exec(path);
    if (dir) inBin.push([dir[1]!, path]);
  }
  inBin.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return [...found, ...inBin];
}
