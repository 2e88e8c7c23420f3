/**
 * What a `.crate` may unpack: regular files and directories under `{name}-{version}/`, with names
 * cargo writes to disk exactly as they are spelled (no `..`, `.` or empty components, nothing
 * absolute, no part longer than a file system allows), each file once, and no file where another
 * entry needs a directory. `UnpackedTree` keeps what was accepted, which is what cargo unpacks.
 */
import type { TarEntryHeader } from './tar-reader.js';

export type EntryKind = 'file' | 'directory';

const KINDS: Record<string, EntryKind> = { '0': 'file', '\0': 'file', '7': 'file', '5': 'directory' };

const TYPE_NAMES: Record<string, string> = {
  '1': 'hard link',
  '2': 'symlink',
  '3': 'character device',
  '4': 'block device',
  '6': 'fifo (named pipe)',
  S: 'GNU sparse file',
};

/** Longest file or directory name Linux and macOS accept (NAME_MAX). */
const MAX_COMPONENT_BYTES = 255;
/** cargo's own marker in an unpacked crate: it skips entries of that name, so the readers would disagree. */
const CARGO_MARKER = '.cargo-ok';

/** Why the entry may not be unpacked, or null; `prefix` is `{name}-{version}/`. */
export function entryProblem(entry: TarEntryHeader, prefix: string): string | null {
  const { path: name, typeflag } = entry;
  if (name.includes('\0')) return `the path of entry ${show(name)} contains a NUL byte`;
  if (/^([\\/]|[A-Za-z]:)/.test(name)) return `entry ${show(name)} has an absolute path`;
  // Backslash too: Windows treats it as a separator when cargo unpacks there.
  if (name.split(/[\\/]/).includes('..')) return `entry ${show(name)} has a \`..\` component in its path`;
  const kind = KINDS[typeflag];
  const isTopDir = kind === 'directory' && name === prefix.slice(0, -1);
  if (!name.startsWith(prefix) && !isTopDir) {
    return `entry ${show(name)} is outside the \`${prefix}\` folder that a .crate must unpack into`;
  }
  if (kind === undefined) {
    const type = TYPE_NAMES[typeflag] ?? `entry of an unknown type (\`${show(typeflag).slice(1, -1)}\`)`;
    const target = entry.linkname ? ` (to ${show(entry.linkname)})` : '';
    return `entry ${show(name)} is a ${type}${target}; a .crate may contain only regular files and directories`;
  }
  // The `tar` crate skips a directory's data, other readers take it for headers.
  if (kind === 'directory' && entry.size > 0) return `directory entry ${show(name)} has a non-zero size`;
  return modeProblem(entry, kind);
}

/**
 * cargo sets each entry's permission bits as it unpacks it, one entry at a time: a directory its
 * owner cannot enter or write stops every later file inside it, and a file its owner cannot read
 * is lost to the build (root alone would not notice).
 */
function modeProblem({ path, mode }: TarEntryHeader, kind: EntryKind): string | null {
  if (mode === null) return null;
  const bits = `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
  if (kind === 'directory' && (mode & 0o700) !== 0o700) {
    return `directory entry ${show(path)} has mode ${bits}; its owner could not unpack files into it`;
  }
  if (kind === 'file' && (mode & 0o400) === 0) return `file entry ${show(path)} has mode ${bits}; its owner could not read it`;
  return null;
}

/** Refusals that come after the Cargo.toml checks, so that an alias of it is named as such. */
export function spellingProblem(name: string, kind: EntryKind): string | null {
  // Old readers take a file whose name ends in `/` for a directory.
  if (kind === 'file' && name.endsWith('/')) return `file entry ${show(name)} has a name ending in \`/\``;
  const parts = (kind === 'directory' ? name.replace(/\/$/, '') : name).split('/');
  if (parts.some((part) => part === '' || part === '.')) return `entry ${show(name)} has an empty or \`.\` component in its path`;
  if (parts.includes(CARGO_MARKER)) return `entry ${show(name)} uses the name \`${CARGO_MARKER}\`, which cargo reserves`;
  const long = parts.find((part) => Buffer.byteLength(part) > MAX_COMPONENT_BYTES);
  if (long !== undefined) return `entry ${show(name)} has a component longer than ${MAX_COMPONENT_BYTES} bytes`;
  return null;
}

export function entryKind(typeflag: string): EntryKind | undefined {
  return KINDS[typeflag];
}

/** The files and directories that unpacking the accepted entries creates. */
export class UnpackedTree {
  readonly files: string[] = [];
  private readonly fileSet = new Set<string>();
  private readonly dirs = new Set<string>();
  private bytes = 0;

  constructor(private readonly maxPathBytes: number) {}

  /** Adds an entry; returns why it conflicts with the ones before, or null. */
  add(name: string, kind: EntryKind): string | null {
    const path = kind === 'directory' ? name.replace(/\/$/, '') : name;
    if (this.fileSet.has(path)) {
      return kind === 'file' ? `the .crate file contains ${show(path)} more than once` : `${show(path)} is both a file and a directory`;
    }
    if (kind === 'file' && this.dirs.has(path)) return `${show(path)} is both a directory and a file`;
    for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      const parent = path.slice(0, slash);
      if (this.fileSet.has(parent)) return `entry ${show(name)} is inside ${show(parent)}, which is a file`;
      this.remember(this.dirs, parent);
    }
    if (kind === 'file') {
      this.remember(this.fileSet, path);
      this.files.push(path);
    } else {
      this.remember(this.dirs, path);
    }
    return this.bytes > this.maxPathBytes ? `the paths in the .crate file add up to more than ${this.maxPathBytes} bytes` : null;
  }

  directories(): string[] {
    return [...this.dirs].sort();
  }

  private remember(set: Set<string>, path: string): void {
    if (set.has(path)) return;
    set.add(path);
    this.bytes += path.length;
  }
}

/** Paths that unpack onto the same file somewhere (case-insensitive disks, `\` on Windows, `./`). */
export function pathKey(path: string): string {
  const parts = path.split(/[\\/]/).filter((part) => part !== '' && part !== '.');
  return parts.join('/').toLowerCase();
}

/** A path for an error message: quoted, control characters visible, long ones shortened. */
export function show(path: string): string {
  const clipped = path.length > 200 ? `${path.slice(0, 197)}...` : path;
  const visible = clipped.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `\`${visible}\``;
}
