import { createReadStream, readFileSync, statSync } from 'node:fs';
import { mkdir, open, opendir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { type BlobFile, type BlobInfo, type BlobStore, wholeBlob } from './blob-store.js';

/** Files up to this size are read in one call instead of streamed. */
const READ_AT_ONCE = 256 * 1024;

/** Blobs as files under one root folder. Writes go to a temporary file, are fsynced, then renamed into place. */
export class FsBlobStore implements BlobStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private path(key: string): string {
    const full = resolve(join(this.root, key));
    if (!full.startsWith(this.root + sep)) throw new Error(`blob key escapes the store: ${key}`);
    return full;
  }

  async put(key: string, data: Buffer): Promise<void> {
    const target = this.path(key);
    // A private registry's crates are private: folders 0700, files 0600 whatever the umask.
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } catch (err) {
      await handle.close();
      await rm(tmp, { force: true });
      throw err;
    }
    await handle.close();
    try {
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    // The rename lives in the folder: sync it too, or a power cut could undo it after the
    // database has already recorded the version.
    const folder = await open(dirname(target), 'r');
    try {
      await folder.sync();
    } catch (err) {
      // Some filesystems cannot sync a folder at all; there, the rename is as durable as it gets.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EINVAL' && code !== 'ENOTSUP') throw err;
    } finally {
      await folder.close();
    }
  }

  async get(key: string): Promise<BlobFile | null> {
    const target = this.path(key);
    try {
      // Small files are read whole, for the reason readNow gives.
      const size = statSync(target).size;
      if (size <= READ_AT_ONCE) {
        return wholeBlob(readFileSync(target));
      }
      return { stream: createReadStream(target), size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /**
   * Most .crate files are small. One is read whole in one synchronous call from the page cache in
   * about 10 µs, where the 5 thread-pool round trips of stat, open, read, read, close took
   * 100-200 µs with the server on one core: downloads ran at a tenth of nginx's rate
   * (bench/README.md). Larger files stream through `get`. Blobs never change once written.
   */
  readNow(key: string): Buffer | undefined {
    try {
      const target = this.path(key);
      if (statSync(target).size > READ_AT_ONCE) return undefined;
      return readFileSync(target);
    } catch {
      return undefined;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    // Walk from the deepest folder the prefix names, then filter on the whole prefix.
    const slash = prefix.lastIndexOf('/');
    const folder = slash === -1 ? '' : prefix.slice(0, slash);
    const start = folder === '' ? this.root : this.path(folder);
    const pending = [start];
    while (pending.length > 0) {
      const dir = pending.pop()!;
      let handle;
      try {
        handle = await opendir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      for await (const entry of handle) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) {
          pending.push(full);
          continue;
        }
        if (!entry.isFile()) continue;
        const key = full.slice(this.root.length + 1).split(sep).join('/');
        if (!key.startsWith(prefix)) continue;
        const info = await this.stat(key);
        if (info) yield info;
      }
    }
  }

  async stat(key: string): Promise<BlobInfo | null> {
    try {
      const info = await stat(this.path(key));
      return info.isFile() ? { key, size: info.size, modifiedAt: info.mtime } : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.path(key));
      return true;
    } catch {
      return false;
    }
  }
}
