import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { PublishFrameReader } from '../../src/core/publish-frame.js';

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

describe('the publish frame reader', () => {
  const json = Buffer.from(JSON.stringify({ name: 'small-one', vers: '1.0.0' }));

  it("refuses a .crate over its own crate's limit from the length alone, before any of its bytes arrive", () => {
    const asked: string[] = [];
    const reader = new PublishFrameReader({
      maxJsonSize: 1024,
      maxCrateSize: 1024 * 1024 * 1024,
      crateLimitFor: (meta) => {
        asked.push(meta.toString());
        return 10 * 1024;
      },
    });
    reader.push(Buffer.concat([u32(json.length), json]));
    expect(asked).toEqual([json.toString()]);
    let refused: unknown;
    try {
      reader.push(u32(400 * 1024 * 1024));
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ status: 413, detail: expect.stringMatching(/the \.crate file is 400 MB .* over the limit of 10 KB \(10240 bytes\) for this crate/) });
  });

  it('never lets a crate limit exceed the registry-wide one', () => {
    const reader = new PublishFrameReader({ maxJsonSize: 1024, maxCrateSize: 2048, crateLimitFor: () => 1 << 30 });
    reader.push(Buffer.concat([u32(json.length), json]));
    expect(() => reader.push(u32(4096))).toThrow(/over the limit of 2 KB/);
  });

  it('reads a frame within the limits whole', () => {
    const reader = new PublishFrameReader({ maxJsonSize: 1024, maxCrateSize: 2048, crateLimitFor: () => 100 });
    reader.push(Buffer.concat([u32(json.length), json, u32(3), Buffer.from('abc')]));
    expect(reader.finish()).toEqual({ json, crate: Buffer.from('abc') });
  });
});
