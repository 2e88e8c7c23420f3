import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../src/storage/fs-blob-store.js';

const collect = async (stream: Readable) => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** What a download or a check reads back is exactly what was stored, small file or large. */
describe('reading blobs back', () => {
  const root = mkdtempSync(join(tmpdir(), 'wharf-blobs-'));
  const store = new FsBlobStore(root);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each([
    ['a small file, read whole', 20_000, true],
    ['a large file, streamed', 3 * 1024 * 1024, false],
  ])('returns %s with its size and the same bytes', async (_label, size, whole) => {
    const data = randomBytes(size);
    const key = `crates/x/x-${size}.crate`;
    await store.put(key, data);
    const file = await store.get(key);
    expect(file?.size).toBe(size);
    expect(file?.bytes !== undefined).toBe(whole);
    if (file?.bytes) expect(file.bytes.equals(data)).toBe(true);
    expect((await collect(file!.stream)).equals(data)).toBe(true);
  });

  it('answers null for a missing key', async () => {
    expect(await store.get('crates/none/none-1.0.0.crate')).toBeNull();
  });
});
