import { describe, expect, it } from 'vitest';
import { isMirroredSource, parseCargoLock } from '../../src/core/cargo-lock.js';

const CK = 'b'.repeat(64);

describe('parseCargoLock', () => {
  it('lists registry packages with their checksums, leaving path and git packages out', () => {
    const text = [
      'version = 4',
      '[[package]]\nname = "app"\nversion = "0.1.0"',
      `[[package]]\nname = "serde"\nversion = "1.0.0"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\nchecksum = "${CK}"`,
      '[[package]]\nname = "gitdep"\nversion = "0.1.0"\nsource = "git+https://example.org/x#abc"',
      '[[package]]\nname = "private"\nversion = "0.2.0"\nsource = "sparse+http://127.0.0.1:8000/index/"',
    ].join('\n');
    expect(parseCargoLock(text)).toEqual([
      { name: 'serde', version: '1.0.0', source: 'registry+https://github.com/rust-lang/crates.io-index', checksum: CK },
      { name: 'private', version: '0.2.0', source: 'sparse+http://127.0.0.1:8000/index/', checksum: null },
    ]);
  });

  it('reads the checksums of version 1 lockfiles from [metadata]', () => {
    const src = 'registry+https://github.com/rust-lang/crates.io-index';
    const text = `[[package]]\nname = "cc"\nversion = "1.0.0"\nsource = "${src}"\n\n[metadata]\n"checksum cc 1.0.0 (${src})" = "${CK}"\n`;
    expect(parseCargoLock(text)[0]?.checksum).toBe(CK);
  });

  it('refuses what is not a lockfile', () => {
    expect(() => parseCargoLock('[[package]\n')).toThrow(/not a TOML file/);
    expect(() => parseCargoLock('package = 3')).toThrow(/not a list/);
  });

  it('counts crates.io (however named) and the upstream itself as mirrored, nothing else', () => {
    const up = 'http://127.0.0.1:9/index/';
    expect(isMirroredSource('registry+https://github.com/rust-lang/crates.io-index', up)).toBe(true);
    expect(isMirroredSource('sparse+https://index.crates.io/', up)).toBe(true);
    expect(isMirroredSource('sparse+http://127.0.0.1:9/index/', up)).toBe(true);
    expect(isMirroredSource('sparse+http://127.0.0.1:8000/index/', up)).toBe(false);
  });
});
