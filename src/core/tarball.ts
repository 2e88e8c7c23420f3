/**
 * Checks an uploaded `.crate` file (a gzip'd tar) before the registry stores it: crates.io's rules,
 * plus hardening against archives that would unpack outside their folder, exhaust memory, or
 * unpack differently in cargo than they read here. Pure: the archive is read from memory, nothing
 * touches the filesystem.
 *
 * Every problem with the upload is an `AppError`, because cargo prints its detail to the user.
 */
import { parse as parseToml, TomlError } from 'smol-toml';
import { badRequest } from './errors.js';
import { inflateFirstMember } from './gzip-member.js';
import { entryKind, entryProblem, pathKey, show, spellingProblem, UnpackedTree } from './crate-paths.js';
import { StrictTarReader, type TarEntryHeader } from './tar-reader.js';

export interface TarballLimits {
  /** Cap on the decompressed tar stream in bytes; reading stops as soon as it is passed. */
  maxUnpackedSize: number;
  /** Most entries (files and directories) a crate may hold. Default 100,000. */
  maxEntries?: number;
  /** Largest accepted Cargo.toml in bytes. Default 1 MiB. */
  maxManifestSize?: number;
  /** Cap on the summed length of the paths kept while checking. Default 16 MiB. */
  maxPathBytes?: number;
}

export interface TarballInfo {
  manifest: { name: string; version: string; raw: Record<string, unknown> };
  /** Sum of the regular files' sizes: what the crate takes on disk once unpacked. */
  unpackedSize: number;
  /** Entries (files and directories) before the end-of-archive marker. */
  entries: number;
  /** The regular files cargo will unpack, in archive order, as `{name}-{version}/...`. */
  files: string[];
  /** Every directory unpacking creates (listed or implied by a file), sorted, without a trailing `/`. */
  directories: string[];
}

export const DEFAULT_MAX_ENTRIES = 100_000;
export const DEFAULT_MAX_MANIFEST_SIZE = 1024 * 1024;
export const DEFAULT_MAX_PATH_BYTES = 16 * 1024 * 1024;

export async function inspectCrateTarball(
  bytes: Buffer,
  expected: { name: string; version: string },
  limits: TarballLimits,
): Promise<TarballInfo> {
  if (bytes.length === 0) throw badRequest('the .crate file is empty');
  const prefix = `${expected.name}-${expected.version}/`;
  const check = new EntryCheck(prefix, {
    maxUnpackedSize: limits.maxUnpackedSize,
    maxEntries: limits.maxEntries ?? DEFAULT_MAX_ENTRIES,
    maxManifestSize: limits.maxManifestSize ?? DEFAULT_MAX_MANIFEST_SIZE,
    maxPathBytes: limits.maxPathBytes ?? DEFAULT_MAX_PATH_BYTES,
  });
  await inflateInto(bytes, new StrictTarReader(check), limits.maxUnpackedSize);
  if (check.manifest === null) throw badRequest(`the .crate file has no \`${prefix}Cargo.toml\``);
  const raw = parseManifest(check.manifest);
  return {
    manifest: checkManifest(raw, expected),
    unpackedSize: check.fileBytes,
    entries: check.entries,
    files: check.tree.files,
    directories: check.tree.directories(),
  };
}

/**
 * Streams the inflated archive into the tar reader, never holding it whole. After the tar's end
 * marker the rest is still inflated (and counted against the cap), so a corrupt or truncated gzip
 * stream fails even where cargo would have stopped reading.
 */
async function inflateInto(bytes: Buffer, reader: StrictTarReader, maxUnpackedSize: number): Promise<void> {
  await inflateFirstMember(bytes, (chunk) => {
    if (!reader.ended) reader.write(chunk);
  }, maxUnpackedSize);
  reader.end();
}

/** Judges each entry the reader resolves, and keeps the manifest's bytes. */
class EntryCheck {
  readonly tree: UnpackedTree;
  entries = 0;
  fileBytes = 0;
  manifest: Buffer | null = null;
  private readonly manifestPath: string;
  private readonly manifestKey: string;
  private manifestParts: Buffer[] | null = null;
  private manifestSeen = false;
  private isFile = false;

  constructor(
    private readonly prefix: string,
    private readonly limits: Required<TarballLimits>,
  ) {
    this.manifestPath = `${prefix}Cargo.toml`;
    this.manifestKey = pathKey(this.manifestPath);
    this.tree = new UnpackedTree(limits.maxPathBytes);
  }

  entry(header: TarEntryHeader): void {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries) {
      throw badRequest(`the .crate file has more than ${this.limits.maxEntries} entries`);
    }
    const kind = entryKind(header.typeflag);
    const problem =
      entryProblem(header, this.prefix) ??
      this.manifestProblem(header, kind!) ??
      spellingProblem(header.path, kind!) ??
      this.tree.add(header.path, kind!);
    if (problem !== null) throw badRequest(problem);
    this.isFile = kind === 'file';
    if (header.path === this.manifestPath) {
      this.manifestSeen = true;
      this.manifestParts = [];
    }
  }

  data(chunk: Buffer): void {
    if (this.isFile) this.fileBytes += chunk.length;
    this.manifestParts?.push(chunk);
  }

  entryEnd(): void {
    if (this.manifestParts !== null) this.manifest = Buffer.concat(this.manifestParts);
    this.manifestParts = null;
  }

  private manifestProblem(header: TarEntryHeader, kind: string): string | null {
    const { path } = header;
    if (pathKey(path) !== this.manifestKey) return null;
    if (path !== this.manifestPath) {
      return `entry ${show(path)} would unpack onto \`${this.manifestPath}\` on some systems; a .crate must contain exactly one Cargo.toml`;
    }
    if (this.manifestSeen) return `the .crate file contains \`${this.manifestPath}\` more than once`;
    if (kind !== 'file') return `\`${this.manifestPath}\` is not a regular file`;
    if (header.size > this.limits.maxManifestSize) {
      return `Cargo.toml is ${header.size} bytes, more than the limit of ${this.limits.maxManifestSize}`;
    }
    return null;
  }
}

function parseManifest(bytes: Buffer): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badRequest('Cargo.toml in the .crate file is not valid UTF-8');
  }
  try {
    return parseToml(text);
  } catch (err) {
    const where = err instanceof TomlError ? ` (line ${err.line}, column ${err.column})` : '';
    const why = err instanceof Error ? err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '') : '';
    throw badRequest(`Cargo.toml in the .crate file is not valid TOML${where}: ${why}`);
  }
}

function checkManifest(
  raw: Record<string, unknown>,
  expected: { name: string; version: string },
): TarballInfo['manifest'] {
  const pkg = raw['package'];
  if (typeof pkg !== 'object' || pkg === null || Array.isArray(pkg) || pkg instanceof Date) {
    throw badRequest('Cargo.toml in the .crate file has no [package] table');
  }
  const fields = pkg as Record<string, unknown>;
  for (const key of ['name', 'version'] as const) {
    const value = fields[key];
    if (typeof value !== 'string') throw badRequest(`Cargo.toml in the .crate file has no string \`package.${key}\``);
    if (value !== expected[key]) {
      throw badRequest(
        `the ${key} in Cargo.toml (${show(value)}) does not match the ${key} in the upload metadata (${show(expected[key])})`,
      );
    }
  }
  return { name: expected.name, version: expected.version, raw };
}
