import { randomBytes } from 'node:crypto';
import { chmod, mkdir, opendir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';

/**
 * Where the static copy of the index goes (services/static-index/): a place that serves files by
 * path to nginx or a CDN. Paths are relative and use `/`. A folder implements it below; a bucket
 * (one PUT per file, which S3 makes atomic) implements it in bucket-target.ts.
 */
export interface StaticTarget {
  /**
   * Replaces the file at `path` with `bytes` at once: a reader sees the old file or the new, never
   * part of one, and new bytes always come with a new validator (ETag, Last-Modified).
   */
  put(path: string, bytes: Buffer): Promise<void>;
  /** Removes the file; a file already gone is no error. */
  remove(path: string): Promise<void>;
  /** The file's bytes, or null when there is none. */
  read(path: string): Promise<Buffer | null>;
  /** Whether there is a file at `path` (without reading it: .crate files can be large). */
  exists(path: string): Promise<boolean>;
  /** Every file's path under `prefix` (a folder ending in `/`, or '' for all), temporary files of writes in flight excluded. */
  list(prefix?: string): AsyncIterable<string>;
  /** Where it is, for messages. */
  readonly describe: string;
  /** Lets go of connections (a bucket's keep-alive sockets would keep a command's process alive). */
  close?(): void;
}

/** Temporary names start with a dot, which the documented nginx configuration refuses to serve. */
const TEMP = /(^|\/)\.[^/]*\.tmp$/;

/**
 * A folder served by nginx (or synced to a CDN). A file is written under a temporary name in its
 * own folder and renamed over the old one, so nginx never sends half a file. No fsync: the copy
 * is derived from the database, and the start of `wharf serve` rewrites whatever differs.
 * Folders 0755 and files 0644, whatever the umask: the web server usually runs as another user.
 *
 * nginx's ETag is the modification time in whole seconds and the size: a yank and an unyank of
 * two versions in the same second give another file of the same size and the same ETag, and
 * cargo would be told 304 for bytes it does not have. So a file that changes gets a modification
 * time one second past the old one when the clock has not moved on that far, and a write of the
 * bytes already there is skipped (it would only move the time).
 */
export class FolderTarget implements StaticTarget {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  get describe(): string {
    return this.root;
  }

  private full(path: string): string {
    const full = resolve(join(this.root, path));
    if (!full.startsWith(this.root + sep)) throw new Error(`static index path escapes its folder: ${path}`);
    return full;
  }

  async put(path: string, bytes: Buffer): Promise<void> {
    const target = this.full(path);
    const folder = dirname(target);
    await makeFolders(this.root, folder);
    const base = target.slice(folder.length + 1);
    const old = await this.read(path);
    if (old?.equals(bytes)) return;
    const oldMtimeMs = old ? ((await stat(target).catch(() => null))?.mtimeMs ?? 0) : 0;
    const tmp = join(folder, `.${base}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(tmp, bytes, { flag: 'wx', mode: 0o644 });
      // The process's umask (wharf runs under 077) would keep the web server out: set the mode itself.
      await chmod(tmp, 0o644);
      const seconds = Math.max(Math.floor(Date.now() / 1000), Math.floor(oldMtimeMs / 1000) + 1);
      await utimes(tmp, seconds, seconds);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async remove(path: string): Promise<void> {
    await rm(this.full(path), { force: true });
  }

  async read(path: string): Promise<Buffer | null> {
    try {
      return await readFile(this.full(path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async exists(path: string): Promise<boolean> {
    return (await stat(this.full(path)).catch(() => null))?.isFile() ?? false;
  }

  async *list(prefix = ''): AsyncIterable<string> {
    yield* walk(prefix === '' ? this.root : this.full(prefix), prefix);
  }
}

async function* walk(folder: string, prefix: string): AsyncIterable<string> {
  let dir;
  try {
    dir = await opendir(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for await (const entry of dir) {
    const path = prefix + entry.name;
    if (entry.isDirectory()) yield* walk(join(folder, entry.name), `${path}/`);
    else if (entry.isFile() && !TEMP.test(path)) yield path;
  }
}

/** Creates `folder` and the missing folders between it and `root` (and `root` itself) as 0755, whatever the umask. */
async function makeFolders(root: string, folder: string): Promise<void> {
  const made = await mkdir(folder, { recursive: true, mode: 0o755 });
  if (made === undefined) return;
  // `made` is the first folder created; it and each below it on the way to `folder` get 0755.
  for (let dir = folder; ; dir = dirname(dir)) {
    await chmod(dir, 0o755);
    if (dir === made || dir === root || dirname(dir) === dir) break;
  }
}
