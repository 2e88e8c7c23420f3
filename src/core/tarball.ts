/**
 * Checks an uploaded `.crate` file (a gzip'd tar) before the registry stores it: crates.io's rules,
 * plus hardening against archives that would unpack outside their folder or exhaust memory.
 * Pure: the archive is read from memory, nothing touches the filesystem.
 *
 * Every problem with the upload is an `AppError`, because cargo prints its detail to the user.
 */
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type ExtractEvents, type Header } from 'tar-stream';
import { parse as parseToml, TomlError } from 'smol-toml';
import { AppError, badRequest, tooLarge } from './errors.js';

export interface TarballLimits {
  /** Cap on the decompressed tar stream in bytes; reading stops as soon as it is passed. */
  maxUnpackedSize: number;
  /** Most entries (files and directories) a crate may hold. Default 100,000. */
  maxEntries?: number;
  /** Largest accepted Cargo.toml in bytes. Default 1 MiB. */
  maxManifestSize?: number;
}

export interface TarballInfo {
  manifest: { name: string; version: string; raw: Record<string, unknown> };
  /** Sum of the regular files' sizes: what the crate takes on disk once unpacked. */
  unpackedSize: number;
  /** Entries (files and directories) before the end-of-archive marker. */
  entries: number;
}

export const DEFAULT_MAX_ENTRIES = 100_000;
export const DEFAULT_MAX_MANIFEST_SIZE = 1024 * 1024;

const BLOCK = 512;

export async function inspectCrateTarball(
  bytes: Buffer,
  expected: { name: string; version: string },
  limits: TarballLimits,
): Promise<TarballInfo> {
  if (bytes.length === 0) throw badRequest('the .crate file is empty');
  const prefix = `${expected.name}-${expected.version}/`;
  const scan = await new ArchiveScan(prefix, {
    maxUnpackedSize: limits.maxUnpackedSize,
    maxEntries: limits.maxEntries ?? DEFAULT_MAX_ENTRIES,
    maxManifestSize: limits.maxManifestSize ?? DEFAULT_MAX_MANIFEST_SIZE,
  }).run(bytes);
  if (scan.manifest === null) throw badRequest(`the .crate file has no \`${prefix}Cargo.toml\``);
  const raw = parseManifest(scan.manifest);
  return { manifest: checkManifest(raw, expected), unpackedSize: scan.fileBytes, entries: scan.entries };
}

interface ScanResult { manifest: Buffer | null; fileBytes: number; entries: number }

/**
 * Streams gunzip into tar-stream without ever holding the decompressed archive. Besides the
 * per-entry checks it keeps a small window of the raw tar bytes, because tar-stream hides two
 * things that matter here:
 * - where the archive ends. tar-stream skips zero blocks and then chokes on whatever follows,
 *   while cargo and crates.io (the `tar` crate) stop at the first zero header. We look at the
 *   block where the next header must start before letting tar-stream read it, and stop there.
 * - the extension headers it consumes silently. A pax global header (`g`) would make tar-stream
 *   apply its `path`/`size` to later entries while the `tar` crate does not, so the names we check
 *   would not be the names cargo unpacks. Nothing legitimate writes one; we reject it.
 */
class ArchiveScan {
  private readonly gunzip = createGunzip();
  private readonly tar = tarExtract();
  private readonly manifestPath: string;
  private readonly manifestKey: string;
  private resolve: (result: ScanResult) => void = () => {};
  private reject: (err: Error) => void = () => {};
  private settled = false;

  private inflated = 0; // bytes gunzip has produced so far
  private inputDone = false;
  private tarEnded = false;
  private tarFinished = false;
  private archiveEnded = false; // saw the zero block that ends the archive
  private entryOpen = false;
  private manifestSeen = false;

  // The header block at `checkAt` must be looked at before tar-stream may parse it. Only the very
  // first header needs `held`: later ones are guarded by tar-stream waiting for `next()`.
  private checkAt: number | null = 0;
  private afterCheck: () => void = () => {};
  private held: Buffer[] = [];
  // Raw tar bytes from `keepFrom` on: the headers of the entry being parsed, and little else.
  private window: Buffer[] = [];
  private windowStart = 0;
  private keepFrom = 0;

  private entries = 0;
  private fileBytes = 0;
  private manifest: Buffer | null = null;

  constructor(
    private readonly prefix: string,
    private readonly limits: Required<TarballLimits>,
  ) {
    this.manifestPath = `${prefix}Cargo.toml`;
    this.manifestKey = pathKey(this.manifestPath);
  }

  run(bytes: Buffer): Promise<ScanResult> {
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.gunzip.on('data', (chunk: Buffer) => this.onData(chunk));
      this.gunzip.on('end', () => this.onInputEnd());
      this.gunzip.on('error', (err: NodeJS.ErrnoException) => this.fail(gzipError(err)));
      this.tar.on('entry', (header, stream, next) => this.onEntry(header, stream, next));
      this.tar.on('drain', () => this.gunzip.resume());
      this.tar.on('finish', () => {
        this.tarFinished = true;
        this.maybeSucceed();
      });
      this.tar.on('error', (err: Error) => this.fail(tarError(err)));
      this.gunzip.end(bytes);
    });
  }

  private onData(chunk: Buffer): void {
    if (this.settled) return;
    const start = this.inflated;
    this.inflated += chunk.length;
    // 413 rather than 400: the archive may be fine, it is the registry's size policy that refuses it.
    if (this.inflated > this.limits.maxUnpackedSize) {
      return this.fail(tooLarge(`the .crate file unpacks to more than ${this.limits.maxUnpackedSize} bytes, the registry's limit`));
    }
    // Past the end marker the rest is only decompressed so a truncated or corrupt gzip still fails.
    if (this.archiveEnded) return;
    if (start + chunk.length > this.keepFrom) {
      if (this.window.length === 0) this.windowStart = start;
      this.window.push(chunk);
    }
    if (this.checkAt === 0) this.held.push(chunk);
    else this.feed(chunk);
    if (this.checkAt !== null) this.checkHeaderBlock();
  }

  private feed(chunk: Buffer): void {
    if (!this.settled && !this.tar.write(chunk)) this.gunzip.pause();
  }

  private onInputEnd(): void {
    this.inputDone = true;
    if (this.archiveEnded) this.maybeSucceed();
    else if (this.checkAt !== null) this.checkHeaderBlock();
    else this.endTar();
  }

  private endTar(): void {
    if (this.tarEnded || this.settled) return;
    this.tarEnded = true;
    this.tar.end(null); // streamx's end() takes optional last data
  }

  private onEntry(header: Header, stream: EntryStream, next: () => void): void {
    stream.on('error', (err: Error) => this.fail(tarError(err))); // before any return: destroy() errors it
    if (this.settled) return;
    this.entries += 1;
    if (this.entries > this.limits.maxEntries) {
      return this.fail(badRequest(`the .crate file has more than ${this.limits.maxEntries} entries`));
    }
    const problem = this.extensionProblem(stream.offset) ?? entryProblem(header, this.prefix) ?? this.manifestProblem(header);
    if (problem !== null) return this.fail(badRequest(problem));

    const nextHeader = stream.offset + BLOCK + padded(header.size);
    this.keepFrom = nextHeader;
    while (this.window.length > 0 && this.windowStart + this.window[0]!.length <= this.keepFrom) {
      this.windowStart += this.window.shift()!.length;
    }

    const isManifest = header.name === this.manifestPath;
    if (isManifest) this.manifestSeen = true;
    const parts: Buffer[] = [];
    this.entryOpen = true;
    stream.on('data', (data) => {
      const chunk = data as Buffer;
      this.fileBytes += chunk.length;
      if (isManifest) parts.push(chunk);
    });
    stream.on('end', () => {
      if (this.settled) return;
      this.entryOpen = false;
      if (isManifest) this.manifest = Buffer.concat(parts);
      this.checkAt = nextHeader;
      this.afterCheck = next;
      this.checkHeaderBlock();
    });
  }

  /** Walks the extension headers tar-stream consumed between the previous entry and this one. */
  private extensionProblem(entryOffset: number): string | null {
    let pos = this.keepFrom;
    while (pos < entryOffset) {
      const block = this.peek(pos);
      if (block === null) return 'the tar archive in the .crate file has headers that could not be followed';
      if (block[156] === 0x67) return 'the .crate file contains a pax global header, which is not supported';
      if (block.every((b) => b === 0)) return 'the tar archive in the .crate file has an empty block inside an entry header';
      pos += BLOCK + padded(headerSize(block));
    }
    return pos === entryOffset ? null : 'the tar archive in the .crate file has headers that could not be followed';
  }

  private manifestProblem(header: Header): string | null {
    if (pathKey(header.name) !== this.manifestKey) return null;
    if (header.name !== this.manifestPath) {
      return `entry ${show(header.name)} would unpack onto \`${this.manifestPath}\` on some systems; a .crate must contain exactly one Cargo.toml`;
    }
    if (this.manifestSeen) return `the .crate file contains \`${this.manifestPath}\` more than once`;
    if (header.type !== 'file' && header.type !== 'contiguous-file') return `\`${this.manifestPath}\` is not a regular file`;
    if (header.size > this.limits.maxManifestSize) {
      return `Cargo.toml is ${header.size} bytes, more than the limit of ${this.limits.maxManifestSize}`;
    }
    return null;
  }

  private checkHeaderBlock(): void {
    if (this.checkAt === null || this.settled) return;
    const block = this.peek(this.checkAt);
    if (block === null) {
      // Nothing left is a tar without end marker (the `tar` crate accepts it); a partial block is
      // truncation. tar-stream tells the two apart, so let it read what there is.
      if (this.inputDone) this.releaseHeader();
      else this.gunzip.resume();
      return;
    }
    if (block.every((b) => b === 0)) {
      this.archiveEnded = true;
      this.checkAt = null;
      this.held = [];
      this.window = [];
      this.tar.destroy();
      this.gunzip.resume();
      return this.maybeSucceed();
    }
    this.releaseHeader();
  }

  private releaseHeader(): void {
    const next = this.afterCheck;
    const held = this.held;
    this.checkAt = null;
    this.afterCheck = () => {};
    this.held = [];
    next();
    for (const chunk of held) this.feed(chunk);
    if (this.inputDone) this.endTar();
    this.maybeSucceed();
  }

  /** The 512 bytes at absolute tar offset `at`, or null when they have not all arrived yet. */
  private peek(at: number): Buffer | null {
    const out = Buffer.alloc(BLOCK);
    let filled = 0;
    let chunkStart = this.windowStart;
    for (const chunk of this.window) {
      const from = at + filled - chunkStart;
      if (from >= 0 && from < chunk.length) {
        filled += chunk.copy(out, filled, from, Math.min(chunk.length, from + BLOCK - filled));
        if (filled === BLOCK) return out;
      }
      chunkStart += chunk.length;
    }
    return null;
  }

  private maybeSucceed(): void {
    if (this.settled || !this.inputDone) return;
    if (this.archiveEnded || (this.tarFinished && !this.entryOpen && this.checkAt === null)) {
      this.settle();
      this.resolve({ manifest: this.manifest, fileBytes: this.fileBytes, entries: this.entries });
    }
  }

  private fail(err: AppError): void {
    if (this.settled) return;
    this.settle();
    this.reject(err);
  }

  private settle(): void {
    this.settled = true;
    this.window = [];
    this.held = [];
    this.gunzip.destroy();
    this.tar.destroy();
  }
}

type EntryStream = ExtractEvents['entry'][1];

const ALLOWED_TYPES = new Set(['file', 'contiguous-file', 'directory']);

const TYPE_NAMES: Record<string, string> = {
  symlink: 'symlink',
  link: 'hard link',
  'character-device': 'character device',
  'block-device': 'block device',
  fifo: 'fifo (named pipe)',
};

function entryProblem(header: Header, prefix: string): string | null {
  const { name } = header;
  const type = header.type as string | null; // tar-stream reports null for a typeflag it does not know
  if (name.includes('\0')) return `the path of entry ${show(name)} contains a NUL byte`;
  if (/^([\\/]|[A-Za-z]:)/.test(name)) return `entry ${show(name)} has an absolute path`;
  // Backslash too: Windows treats it as a separator when cargo unpacks there.
  if (name.split(/[\\/]/).includes('..')) return `entry ${show(name)} has a \`..\` component in its path`;
  const isTopDir = type === 'directory' && name === prefix.slice(0, -1);
  if (!name.startsWith(prefix) && !isTopDir) {
    return `entry ${show(name)} is outside the \`${prefix}\` folder that a .crate must unpack into`;
  }
  if (type === null || !ALLOWED_TYPES.has(type)) {
    const kind = type === null ? 'entry of an unknown type' : (TYPE_NAMES[type] ?? type);
    const target = header.linkname ? ` (to ${show(header.linkname)})` : '';
    return `entry ${show(name)} is a ${kind}${target}; a .crate may contain only regular files and directories`;
  }
  // tar-stream would read a directory's data as headers, where the `tar` crate skips it.
  if (type === 'directory' && header.size > 0) return `directory entry ${show(name)} has a non-zero size`;
  return null;
}

/** Paths that unpack onto the same file somewhere (case-insensitive disks, `\` on Windows, `./`). */
function pathKey(path: string): string {
  const parts = path.split(/[\\/]/).filter((part) => part !== '' && part !== '.');
  return parts.join('/').toLowerCase();
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/** The size field of a tar header: octal text, or base-256 when its top bit is set (GNU). */
function headerSize(block: Buffer): number {
  const field = block.subarray(124, 136);
  if ((field[0]! & 0x80) !== 0) {
    return field.subarray(1).reduce((n, byte) => n * 256 + byte, field[0]! & 0x7f);
  }
  const digits = field.toString('latin1').replace(/\0.*$/s, '').trim();
  const size = digits === '' ? 0 : parseInt(digits, 8);
  return Number.isFinite(size) ? size : 0;
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

function gzipError(err: NodeJS.ErrnoException): AppError {
  return err.code === 'Z_BUF_ERROR'
    ? badRequest('the .crate file is truncated: its gzip stream ends early')
    : badRequest(`the .crate file is not a valid gzip stream (${err.message})`);
}

function tarError(err: Error): AppError {
  return badRequest(`the tar archive in the .crate file is corrupt or truncated (${err.message})`);
}

/** A path for an error message: quoted, control characters visible, long ones shortened. */
function show(path: string): string {
  const clipped = path.length > 200 ? `${path.slice(0, 197)}...` : path;
  const visible = clipped.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `\`${visible}\``;
}
