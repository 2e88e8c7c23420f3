import { canonicalCrateName } from '../../core/crate-name.js';
import { SecondChanceCache } from '../second-chance-cache.js';

/** What a kept file costs besides its bytes (slot object, key string, map slot), roughly. */
const ENTRY_OVERHEAD = 200;
/** Keys seen once and waiting for a second request; about 150 bytes each. */
const MAX_SEEN_ONCE = 10_000;

/**
 * Popular .crate files kept in memory by blob key, up to a byte budget (`crate_cache_bytes`), so
 * a download of one costs what an index read costs: no `stat`, no read, no thread pool.
 *
 * A blob key carries part of its file's checksum, so the bytes under a key never change; nothing
 * here can go stale except by deletion, which `forgetCrate` handles (the memory goes, and a
 * deleted version is never answered from here even if a location of it were still known).
 *
 * Which files enter: only one asked for a second time since it was first offered (a build that
 * fetches each dependency once fills nothing, and a crawl over every version cannot flush the hot
 * ones), and only one of at most 1/32 of the budget, so one large crate cannot evict dozens of
 * popular small ones. Eviction is second chance, as in the index cache.
 */
export class CrateFileCache {
  private readonly files: SecondChanceCache<Buffer>;
  private seenOnce = new Set<string>();
  /** The largest file kept. */
  readonly maxFileBytes: number;

  constructor(readonly maxBytes: number) {
    this.files = new SecondChanceCache(maxBytes);
    this.maxFileBytes = Math.floor(maxBytes / 32);
  }

  /** The kept bytes of `key`, if any; never reads the store. */
  peek(key: string): Buffer | undefined {
    return this.files.peek(key);
  }

  /**
   * Whether a file of `size` bytes under `key` would be kept if offered now, i.e. it is small
   * enough and was offered before. A store that streams asks this before reading a file whole.
   */
  wouldKeep(key: string, size: number): boolean {
    return this.fits(size) && this.seenOnce.has(key);
  }

  /**
   * Offers the whole file read for a request: kept on its second offer, remembered as seen on
   * its first. Returns whether it is kept now.
   */
  offer(key: string, bytes: Buffer): boolean {
    if (this.files.has(key)) return true;
    if (!this.fits(bytes.length)) return false;
    if (this.seenOnce.delete(key)) {
      this.store(key, bytes);
      return true;
    }
    this.noteSeen(key);
    return false;
  }

  /** Records a request for a file that was not offered (it was streamed): its next offer keeps it. */
  noteSeen(key: string): void {
    if (this.maxFileBytes === 0 || this.files.has(key)) return;
    // Dropping all of them at the limit keeps the set's memory flat; a hot file is seen again soon.
    if (this.seenOnce.size >= MAX_SEEN_ONCE) this.seenOnce = new Set();
    this.seenOnce.add(key);
  }

  /** Drops every file of the crate (its versions or the crate were deleted). Mirrored files are never deleted. */
  forgetCrate(name: string): void {
    const prefix = `crates/${canonicalCrateName(name)}/`;
    for (const key of this.files.keys()) if (key.startsWith(prefix)) this.files.delete(key);
    for (const key of this.seenOnce) if (key.startsWith(prefix)) this.seenOnce.delete(key);
  }

  clear(): void {
    this.files.clear();
    this.seenOnce = new Set();
  }

  /** Bytes held now: the files plus the estimated overhead of each. */
  get bytes(): number {
    return this.files.bytes;
  }

  /** Files held now. */
  get size(): number {
    return this.files.size;
  }

  private fits(size: number): boolean {
    return size > 0 && size <= this.maxFileBytes;
  }

  private store(key: string, bytes: Buffer): void {
    // A view into a larger buffer (a pooled read, a stream's chunk) would keep all of it alive;
    // an unpooled copy holds only the file.
    let own = bytes;
    if (bytes.byteOffset !== 0 || bytes.buffer.byteLength !== bytes.length) {
      own = Buffer.allocUnsafeSlow(bytes.length);
      bytes.copy(own);
    }
    this.files.set(key, own, own.length + ENTRY_OVERHEAD);
  }
}
