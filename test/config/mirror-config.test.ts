import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, mirrorEnabled } from '../../src/config/config.js';

describe('mirror settings', () => {
  const load = (env: Record<string, string>) => loadConfig({ WHARF_DATA_DIR: '/tmp/wharf-config-test', ...env });

  it('has no mirror by default, and a 60 second index TTL', () => {
    const config = load({});
    expect(config).toMatchObject({ mirrorUpstream: null, mirrorOffline: false, mirrorIndexTtl: 60 });
    expect(mirrorEnabled(config)).toBe(false);
  });

  it.each([
    ['https://index.crates.io/', 'https://index.crates.io/'],
    ['sparse+https://index.crates.io/', 'https://index.crates.io/'],
    ['sparse+http://127.0.0.1:8000/mirror/index', 'http://127.0.0.1:8000/mirror/index/'],
  ])('reads the upstream %s with or without sparse+', (value, expected) => {
    const config = load({ WHARF_MIRROR_UPSTREAM: value });
    expect(config.mirrorUpstream).toBe(expected);
    expect(mirrorEnabled(config)).toBe(true);
  });

  it('reads offline and the TTL in seconds; offline alone enables the mirror', () => {
    const config = load({ WHARF_MIRROR_OFFLINE: 'true', WHARF_MIRROR_INDEX_TTL: '5' });
    expect(config).toMatchObject({ mirrorUpstream: null, mirrorOffline: true, mirrorIndexTtl: 5 });
    expect(mirrorEnabled(config)).toBe(true);
  });

  it.each([
    ['WHARF_MIRROR_UPSTREAM', 'git+https://github.com/rust-lang/crates.io-index', /WHARF_MIRROR_UPSTREAM: must be an http\(s\) URL/],
    ['WHARF_MIRROR_UPSTREAM', 'ftp://example.org/', /must be an http\(s\) URL/],
    ['WHARF_MIRROR_INDEX_TTL', '1m', /WHARF_MIRROR_INDEX_TTL: must be an integer/],
    ['WHARF_MIRROR_OFFLINE', 'maybe', /WHARF_MIRROR_OFFLINE: must be true or false/],
  ])('refuses %s=%s with a clear message', (key, value, message) => {
    expect(() => load({ [key]: value })).toThrow(ConfigError);
    expect(() => load({ [key]: value })).toThrow(message);
  });
});
