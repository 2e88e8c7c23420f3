import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CrateFileCache } from '../../src/services/crate-cache/crate-file-cache.js';
import { readCrateFile } from '../../src/services/crate-cache/read-crate-file.js';
import type { BlobInfo, BlobStore } from '../../src/storage/blob-store.js';

const KIB = 1024;
const file = (n: number, fill = 1) => Buffer.alloc(n, fill);
const key = (crate: string, v = '1.0.0') => `crates/${crate}/${crate}-${v}-0123456789abcdef.crate`;

/** Offers a file twice, so it is kept (the second offer admits it). */
function keep(cache: CrateFileCache, k: string, bytes: Buffer): void {
  cache.offer(k, bytes);
  cache.offer(k, bytes);
}

describe('the .crate memory cache', () => {
  it('keeps a file only on its second offer', () => {
    const cache = new CrateFileCache(320 * KIB);
    expect(cache.offer(key('a'), file(1000))).toBe(false);
    expect(cache.peek(key('a'))).toBeUndefined();
    expect(cache.offer(key('a'), file(1000))).toBe(true);
    expect(cache.peek(key('a'))?.length).toBe(1000);
    expect(cache.size).toBe(1);
  });

  it('never keeps a file larger than 1/32 of the budget, however often it is asked for', () => {
    const cache = new CrateFileCache(320 * KIB);
    expect(cache.maxFileBytes).toBe(10 * KIB);
    for (let i = 0; i < 5; i++) cache.offer(key('big'), file(10 * KIB + 1));
    expect(cache.peek(key('big'))).toBeUndefined();
    keep(cache, key('edge'), file(10 * KIB));
    expect(cache.peek(key('edge'))?.length).toBe(10 * KIB);
    expect(cache.wouldKeep(key('big'), 10 * KIB + 1)).toBe(false);
  });

  it('keeps nothing with a budget of 0', () => {
    const cache = new CrateFileCache(0);
    for (let i = 0; i < 3; i++) cache.offer(key('a'), file(10));
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });

  it('stays within its byte budget, dropping files not read since the last pass first', () => {
    const budget = 320 * KIB;
    const cache = new CrateFileCache(budget);
    const names = Array.from({ length: 100 }, (_, i) => `c${i}`);
    keep(cache, key('hot'), file(8 * KIB, 7));
    for (const name of names) {
      keep(cache, key(name), file(8 * KIB));
      // The popular file is read between every other admission, so it is never the one dropped.
      expect(cache.peek(key('hot'))?.[0]).toBe(7);
      expect(cache.bytes).toBeLessThanOrEqual(budget);
    }
    // Room for 39 files of 8 KiB and their overhead; the rest went.
    expect(cache.size).toBeGreaterThan(30);
    expect(cache.size).toBeLessThan(40);
    expect(cache.peek(key('c0'))).toBeUndefined();
    expect(cache.peek(key('c99'))).toBeDefined();
  });

  it('holds its own copy of a file that was a view into a larger buffer', () => {
    const cache = new CrateFileCache(320 * KIB);
    const big = file(64 * KIB);
    keep(cache, key('view'), big.subarray(100, 1100));
    const kept = cache.peek(key('view'))!;
    expect(kept.length).toBe(1000);
    expect(kept.buffer.byteLength).toBe(1000);
  });

  it('forgets every file of a deleted crate, under any spelling, and nothing else', () => {
    const cache = new CrateFileCache(320 * KIB);
    keep(cache, key('my_crate', '1.0.0'), file(100));
    keep(cache, key('my_crate', '2.0.0'), file(100));
    keep(cache, key('my_crate_two'), file(100));
    cache.offer(key('my_crate', '3.0.0'), file(100));
    cache.forgetCrate('My-Crate');
    expect(cache.peek(key('my_crate', '1.0.0'))).toBeUndefined();
    expect(cache.peek(key('my_crate', '2.0.0'))).toBeUndefined();
    expect(cache.peek(key('my_crate_two'))).toBeDefined();
    // The version seen once is forgotten too: a file published again under it starts over.
    expect(cache.offer(key('my_crate', '3.0.0'), file(100))).toBe(false);
    expect(cache.size).toBe(1);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });

  it('bounds the keys it remembers as seen once', () => {
    const cache = new CrateFileCache(320 * KIB);
    cache.offer(key('first'), file(10));
    for (let i = 0; i < 10_000; i++) cache.noteSeen(key(`crawl${i}`));
    // The set was emptied when it filled, so the first key needs two offers again.
    expect(cache.offer(key('first'), file(10))).toBe(false);
    expect(cache.offer(key('first'), file(10))).toBe(true);
  });
});

/** A store that only streams, as a remote one does: no `readNow`, no `bytes`; counts its reads. */
class StreamingStore implements BlobStore {
  reads = 0;
  constructor(
    private readonly files: Map<string, Buffer>,
    private readonly lie = 0,
  ) {}
  async put(k: string, data: Buffer) {
    this.files.set(k, data);
  }
  async get(k: string) {
    const data = this.files.get(k);
    if (!data) return null;
    this.reads++;
    const chunks = [data.subarray(0, 5), data.subarray(5)];
    return { stream: Readable.from(chunks, { objectMode: false }), size: data.length + this.lie };
  }
  async delete(k: string) {
    this.files.delete(k);
  }
  async exists(k: string) {
    return this.files.has(k);
  }
  async *list(): AsyncIterable<BlobInfo> {}
  async stat() {
    return null;
  }
}

const readAll = async (stream: Readable) => {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

describe('reading a download through the cache', () => {
  it('fills the cache from a store that only streams: streamed once, read whole the second time, then from memory', async () => {
    const bytes = Buffer.from('a .crate of some bytes');
    const store = new StreamingStore(new Map([[key('s'), bytes]]));
    const cache = new CrateFileCache(320 * KIB);

    const first = await readCrateFile(store, cache, key('s'));
    expect(first?.bytes).toBeUndefined();
    expect(await readAll(first!.stream)).toEqual(bytes);

    const second = await readCrateFile(store, cache, key('s'));
    expect(second?.bytes).toEqual(bytes);
    expect(cache.peek(key('s'))).toEqual(bytes);

    const third = await readCrateFile(store, cache, key('s'));
    expect(third?.bytes).toEqual(bytes);
    expect(await readAll(third!.stream)).toEqual(bytes);
    expect(store.reads).toBe(2);
  });

  it('streams a file too large to keep every time', async () => {
    const bytes = file(11 * KIB);
    const store = new StreamingStore(new Map([[key('l'), bytes]]));
    const cache = new CrateFileCache(320 * KIB);
    for (let i = 0; i < 3; i++) {
      const got = await readCrateFile(store, cache, key('l'));
      expect(got?.bytes).toBeUndefined();
      expect(await readAll(got!.stream)).toEqual(bytes);
    }
    expect(cache.size).toBe(0);
    expect(store.reads).toBe(3);
  });

  it('keeps nothing when the stream does not hold the size the store announced', async () => {
    for (const lie of [1, -1]) {
      const store = new StreamingStore(new Map([[key('x'), Buffer.from('twelve bytes')]]), lie);
      const cache = new CrateFileCache(320 * KIB);
      await readAll((await readCrateFile(store, cache, key('x')))!.stream);
      await expect(readCrateFile(store, cache, key('x'))).rejects.toThrow(/announced/);
      expect(cache.size).toBe(0);
    }
  });

  it('answers null for a missing file', async () => {
    const cache = new CrateFileCache(320 * KIB);
    expect(await readCrateFile(new StreamingStore(new Map()), cache, key('none'))).toBeNull();
  });
});
