import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { bucketPlace } from '../../src/config/storage.js';

describe('static index settings', () => {
  const load = (env: Record<string, string> = {}) => loadConfig({ WHARF_DATA_DIR: '/tmp/wharf-config-test', ...env });

  it('has no static copy by default', () => {
    const c = load();
    expect([c.staticIndexDir, c.staticIndexBucket, c.staticDlBaseUrl]).toEqual([null, null, null]);
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

  it('reads static_index_bucket as a bucket or a bucket and a folder, and splits it', () => {
    expect(load({ WHARF_STATIC_INDEX_BUCKET: 'wharf-index' }).staticIndexBucket).toBe('wharf-index');
    expect(load({ WHARF_STATIC_INDEX_BUCKET: '/wharf-index/prod/eu/' }).staticIndexBucket).toBe('wharf-index/prod/eu');
    expect(bucketPlace('wharf-index')).toEqual({ bucket: 'wharf-index', prefix: '' });
    expect(bucketPlace('wharf-index/prod/eu')).toEqual({ bucket: 'wharf-index', prefix: 'prod/eu/' });
    // A download base may go with a bucket too, since the .crate files are written into it.
    expect(load({ WHARF_STATIC_INDEX_BUCKET: 'wharf-index', WHARF_STATIC_DL_BASE_URL: 'https://cdn.example.com/crates' }).staticDlBaseUrl).toBe('https://cdn.example.com/crates');
  });

  it('refuses a bucket that is no bucket name or a folder that climbs out, and a folder and a bucket both', () => {
    expect(() => load({ WHARF_STATIC_INDEX_BUCKET: 'Not_A_Bucket' })).toThrow(/WHARF_STATIC_INDEX_BUCKET: must be a bucket name/);
    expect(() => load({ WHARF_STATIC_INDEX_BUCKET: 'wharf-index/../x' })).toThrow(/WHARF_STATIC_INDEX_BUCKET: must be a plain path/);
    expect(() => load({ WHARF_STATIC_INDEX_DIR: '/srv/i', WHARF_STATIC_INDEX_BUCKET: 'wharf-index' })).toThrow(/static_index_dir and static_index_bucket: set one of them/);
  });

  it('refuses a static folder that is the data folder, holds it or lies in its own folders, through a symbolic link too', () => {
    const data = mkdtempSync(join(tmpdir(), 'wharf-overlap-'));
    try {
      const link = `${data}-link`;
      symlinkSync(data, link);
      try {
        for (const dir of [data, `${data}/`, dirname(data), join(data, 'crates'), join(data, 'mirror', 'index'), join(link, 'crates', 'index'), link]) {
          expect(() => loadConfig({ WHARF_DATA_DIR: data, WHARF_STATIC_INDEX_DIR: dir })).toThrow(/static_index_dir: .* overlaps data_dir/);
        }
        expect(loadConfig({ WHARF_DATA_DIR: join(data, 'registry'), WHARF_STATIC_INDEX_DIR: join(data, 'index') }).staticIndexDir).toBe(join(data, 'index'));
        expect(loadConfig({ WHARF_DATA_DIR: data, WHARF_STATIC_INDEX_DIR: join(data, 'public-index') }).staticIndexDir).toBe(join(data, 'public-index'));
      } finally {
        rmSync(link, { force: true });
      }
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('refuses a static bucket folder that holds the crate files\' prefix of the same bucket or lies in its crates/ or mirror/', () => {
    const s3 = { WHARF_STORAGE: 's3', WHARF_S3_BUCKET: 'crates', WHARF_S3_PREFIX: 'wharf/' };
    for (const place of ['crates', 'crates/wharf', 'crates/wharf/crates', 'crates/wharf/mirror/index']) {
      expect(() => load({ ...s3, WHARF_STATIC_INDEX_BUCKET: place })).toThrow(/static_index_bucket: .* overlaps the crate files' place/);
    }
    for (const place of ['crates/index', 'crates/wharf/index', 'other']) expect(load({ ...s3, WHARF_STATIC_INDEX_BUCKET: place }).staticIndexBucket).toBe(place);
    const atRoot = { WHARF_STORAGE: 's3', WHARF_S3_BUCKET: 'crates' };
    expect(() => load({ ...atRoot, WHARF_STATIC_INDEX_BUCKET: 'crates' })).toThrow(/overlaps/);
    expect(() => load({ ...atRoot, WHARF_STATIC_INDEX_BUCKET: 'crates/crates/x' })).toThrow(/overlaps/);
    expect(load({ ...atRoot, WHARF_STATIC_INDEX_BUCKET: 'crates/index' }).staticIndexBucket).toBe('crates/index');
  });
});
