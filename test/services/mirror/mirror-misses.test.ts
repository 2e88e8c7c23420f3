import { describe, expect, it } from 'vitest';
import { MirrorMisses } from '../../../src/services/mirror/mirror-misses.js';

describe('MirrorMisses', () => {
  it('remembers a refusal until its time, and forgets the oldest beyond its bound', () => {
    const misses = new MirrorMisses(2, 1);
    misses.remember('a', 404, 1000);
    expect(misses.recall('a', 999)).toBe(404);
    expect(misses.recall('a', 1000)).toBeNull();
    misses.remember('a', 410, 5000);
    misses.remember('b', 404, 5000);
    misses.remember('c', 451, 5000);
    expect([misses.recall('a', 0), misses.recall('b', 0), misses.recall('c', 0)]).toEqual([null, 404, 451]);
  });

  it('refuses work beyond its bound while the rest runs, and frees the place after', async () => {
    const misses = new MirrorMisses(10, 1);
    let release = () => undefined as void;
    const first = misses.limit('up', () => new Promise<string>((resolve) => (release = () => resolve('done'))));
    await expect(misses.limit('up', async () => 'second')).rejects.toMatchObject({ status: 503 });
    release();
    expect(await first).toBe('done');
    expect(await misses.limit('up', async () => 'third')).toBe('third');
  });
});
