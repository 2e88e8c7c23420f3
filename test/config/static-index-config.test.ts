import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('static index settings', () => {
  const load = (env: Record<string, string> = {}) => loadConfig({ WHARF_DATA_DIR: '/tmp/wharf-config-test', ...env });

  it('has no static copy by default', () => {
    const c = load();
    expect([c.staticIndexDir, c.staticDlBaseUrl]).toEqual([null, null]);
  });

  it('reads the folder as an absolute path and the download base without its trailing slash', () => {
    const c = load({ WHARF_STATIC_INDEX_DIR: 'public-index', WHARF_STATIC_DL_BASE_URL: 'https://index.example.com/crates/' });
    expect(c.staticIndexDir).toMatch(/^\/.*\/public-index$/);
    expect(c.staticDlBaseUrl).toBe('https://index.example.com/crates');
  });

  it('refuses a download base without a static copy to put the files in, and one that is no URL', () => {
    expect(() => load({ WHARF_STATIC_DL_BASE_URL: 'https://index.example.com/crates' })).toThrow(ConfigError);
    expect(() => load({ WHARF_STATIC_DL_BASE_URL: 'https://index.example.com/crates' })).toThrow(/static_dl_base_url: needs static_index_dir/);
    expect(() => load({ WHARF_STATIC_INDEX_DIR: '/srv/i', WHARF_STATIC_DL_BASE_URL: 'ftp://x/crates' })).toThrow(/WHARF_STATIC_DL_BASE_URL: must be an http\(s\) URL/);
  });
});
