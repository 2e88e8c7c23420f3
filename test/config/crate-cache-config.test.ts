import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';

describe('crate_cache_bytes', () => {
  const load = (env: Record<string, string>) => loadConfig({ WHARF_DATA_DIR: '/tmp/wharf-config-test', ...env });

  it('is 32 MiB by default, takes a size with a unit, and 0 turns the cache off', () => {
    expect(load({}).crateCacheBytes).toBe(32 * 1024 * 1024);
    expect(load({ WHARF_CRATE_CACHE_BYTES: '256MB' }).crateCacheBytes).toBe(256 * 1024 * 1024);
    expect(load({ WHARF_CRATE_CACHE_BYTES: '0' }).crateCacheBytes).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'wharf-config-'));
    try {
      writeFileSync(join(dir, 'wharf.toml'), 'crate_cache_bytes = 0\n');
      expect(load({ WHARF_CONFIG: join(dir, 'wharf.toml') }).crateCacheBytes).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what is not a size', () => {
    expect(() => load({ WHARF_CRATE_CACHE_BYTES: 'lots' })).toThrow(/WHARF_CRATE_CACHE_BYTES: must be a size/);
    expect(() => load({ WHARF_CRATE_CACHE_BYTES: '-1' })).toThrow(/WHARF_CRATE_CACHE_BYTES/);
  });
});
