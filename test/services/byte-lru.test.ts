import { describe, expect, it } from 'vitest';
import { ByteLru, stringBytes } from '../../src/services/byte-lru.js';

describe('ByteLru', () => {
  it('keeps the total bytes under its bound by dropping the least recently used', () => {
    const cache = new ByteLru<string, string>(100, stringBytes);
    for (const key of 'abcde') cache.set(key, 'x'.repeat(10)); // 20 bytes each: exactly the bound
    expect(cache.get('a')).toBeDefined(); // b is now the least recently used
    cache.set('f', 'x'.repeat(10));
    expect(cache.bytes).toBe(100);
    expect(cache.get('b')).toBeUndefined();
    for (const key of 'acdef') expect(cache.get(key)).toBeDefined();
  });

  it('counts bytes, not entries: many small values fit where one large one would not', () => {
    const cache = new ByteLru<number, string>(1000, stringBytes);
    for (let i = 0; i < 400; i++) cache.set(i, 'x');
    expect(cache.size).toBe(400);
    cache.set(-1, 'x'.repeat(100)); // 200 bytes
    expect(cache.bytes).toBeLessThanOrEqual(1000);
    expect(cache.get(-1)).toBeDefined();
  });

  it('does not keep a value larger than a quarter of the bound', () => {
    const cache = new ByteLru<string, string>(1000, stringBytes);
    cache.set('small', 'x');
    cache.set('huge', 'x'.repeat(126));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('small')).toBe('x');
  });

  it('replacing a key counts only its new value', () => {
    const cache = new ByteLru<string, string>(1000, stringBytes);
    cache.set('k', 'x'.repeat(100));
    cache.set('k', 'x'.repeat(10));
    expect(cache.bytes).toBe(20);
  });
});
