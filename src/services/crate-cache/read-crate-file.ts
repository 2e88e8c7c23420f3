import type { Readable } from 'node:stream';
import { type BlobFile, type BlobStore, wholeBlob } from '../../storage/blob-store.js';
import type { CrateFileCache } from './crate-file-cache.js';

/**
 * A download's file through the memory cache: kept bytes when the file is hot, else the store's
 * answer. Whatever store runs, a file the cache would now keep is read whole and offered, so a
 * remote store (whose `readNow` cannot answer) fills the cache through `get` as a local one does.
 * A file the cache would not keep streams as before.
 */
export async function readCrateFile(blobs: BlobStore, cache: CrateFileCache, key: string): Promise<BlobFile | null> {
  const kept = cache.peek(key);
  if (kept) return wholeBlob(kept);
  const file = await blobs.get(key);
  if (!file) return null;
  if (file.bytes) {
    cache.offer(key, file.bytes);
    return file;
  }
  if (!cache.wouldKeep(key, file.size)) {
    cache.noteSeen(key);
    return file;
  }
  const bytes = await readWhole(file.stream, file.size);
  cache.offer(key, bytes);
  return wholeBlob(bytes);
}

/** The stream's bytes, which must be exactly `size` (the store's own size); anything else is an error. */
async function readWhole(stream: Readable, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    length += buf.length;
    if (length > size) {
      stream.destroy();
      throw new Error(`the store sent more than the ${size} bytes it announced for a file`);
    }
    chunks.push(buf);
  }
  if (length !== size) throw new Error(`the store sent ${length} of the ${size} bytes it announced for a file`);
  return Buffer.concat(chunks, size);
}
