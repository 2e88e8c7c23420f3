import { describe, expect, it } from 'vitest';
import { exportedCratePath, parseMirrorManifest } from '../../src/core/mirror-manifest.js';

const CK = 'b'.repeat(64);

describe('parseMirrorManifest', () => {
  const good = {
    format: 'wharf-mirror',
    format_version: 1,
    created_at: '2026-01-01T00:00:00.000Z',
    upstream: null,
    index_files: [{ name: 'leaf', path: 'index/le/af/leaf', sha256: CK, size: 3, upstream_etag: null, upstream_last_modified: null, checked_at: '2026-01-01T00:00:00.000Z' }],
    crate_files: [{ name: 'leaf', version: '1.0.0', path: exportedCratePath('leaf', '1.0.0'), sha256: CK, size: 3 }],
  };

  it('reads a well-formed manifest', () => {
    expect(parseMirrorManifest(JSON.stringify(good)).crate_files[0]?.path).toBe('crates/leaf/leaf-1.0.0.crate');
  });

  it.each([
    ['a path outside its place', { ...good, crate_files: [{ ...good.crate_files[0], path: '../../etc/passwd' }] }, /malformed crate file entry/],
    ['an index path of another crate', { ...good, index_files: [{ ...good.index_files[0], path: 'index/st/em/stem' }] }, /malformed index file entry/],
    ['a version that escapes', { ...good, crate_files: [{ ...good.crate_files[0], version: '../x', path: 'crates/leaf/leaf-../x.crate' }] }, /malformed crate file entry/],
    ['a bad digest', { ...good, crate_files: [{ ...good.crate_files[0], sha256: 'xyz' }] }, /malformed/],
    ['a check time that is not a date', { ...good, index_files: [{ ...good.index_files[0], checked_at: 'x' }] }, /malformed index file entry/],
    ['a check time that is no real day', { ...good, index_files: [{ ...good.index_files[0], checked_at: '2026-02-31T99:00:00Z' }] }, /malformed index file entry/],
    ['an upstream that is not a string', { ...good, upstream: 42 }, /upstream/],
    ['another format', { ...good, format: 'wharf-backup' }, /not a Wharf mirror export/],
  ])('refuses %s', (_what, doc, message) => {
    expect(() => parseMirrorManifest(JSON.stringify(doc))).toThrow(message);
  });
});
