import { describe, expect, it } from 'vitest';
import { parseUpstreamIndex, upstreamDownloadUrl } from '../../src/core/mirror-index.js';

const CK = 'a'.repeat(64);
const line = (extra: Record<string, unknown> = {}) => JSON.stringify({ name: 'Serde_Json', vers: '1.0.0', deps: [], cksum: CK, features: {}, ...extra });

describe('parseUpstreamIndex', () => {
  it('reads each line, renamed dependencies by their real name', () => {
    const deps = [
      { name: 'ser', package: 'serde', req: '^1', kind: 'normal', optional: true },
      { name: 'cc', req: '^1', kind: 'build', registry: 'https://github.com/rust-lang/crates.io-index' },
    ];
    const body = Buffer.from(`${line()}\n${line({ vers: '1.0.1', yanked: true, deps })}\n`);
    expect(parseUpstreamIndex(body, 'serde_json')).toEqual([
      { name: 'Serde_Json', vers: '1.0.0', cksum: CK, yanked: false, deps: [] },
      {
        name: 'Serde_Json',
        vers: '1.0.1',
        cksum: CK,
        yanked: true,
        deps: [
          { name: 'serde', req: '^1', kind: 'normal', optional: true, registry: null },
          { name: 'cc', req: '^1', kind: 'build', optional: false, registry: 'https://github.com/rust-lang/crates.io-index' },
        ],
      },
    ]);
  });

  it.each([
    ['', /no versions/],
    ['<html>', /line 1 .* not JSON/],
    ['[1]', /not a JSON object/],
    [line({ name: 'other' }), /not a line of `serde_json`/],
    [line({ cksum: 'abc' }), /no valid `cksum`/],
    [line({ vers: 7 }), /no valid `vers`/],
    [line({ vers: '1.0.0/../../../crates/x/x-1.0.0' }), /no valid `vers`/],
    [line({ vers: '../1.0.0' }), /no valid `vers`/],
    [line({ deps: {} }), /no `deps` list/],
    [`${line()}\n${line({ deps: [{ name: 'x' }] })}`, /line 2 .* without a name or requirement/],
  ])('refuses garbage: %s', (text, message) => {
    expect(() => parseUpstreamIndex(Buffer.from(text), 'serde_json')).toThrow(message);
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(() => parseUpstreamIndex(Buffer.from([0xff, 0xfe, 0x7b]), 'x')).toThrow(/not UTF-8/);
  });
});

describe('upstreamDownloadUrl', () => {
  it.each([
    ['https://static.crates.io/crates', 'serde', '1.0.0', 'https://static.crates.io/crates/serde/1.0.0/download'],
    ['https://dl/{crate}/{version}', 'Serde', '1.0.0-rc.1', 'https://dl/Serde/1.0.0-rc.1'],
    ['https://dl/{prefix}/{lowerprefix}/{crate}', 'AbCd', '1.0.0', 'https://dl/Ab/Cd/ab/cd/AbCd'],
    ['https://dl/{prefix}/{crate}', 'Syn', '1.0.0', 'https://dl/3/S/Syn'],
    ['https://dl/{prefix}/{crate}', 'ab', '1.0.0', 'https://dl/2/ab'],
    ['https://dl/{sha256-checksum}', 'a', '1.0.0', `https://dl/${CK}`],
  ])('expands %s for %s@%s', (dl, name, version, url) => {
    expect(upstreamDownloadUrl(dl, name, version, CK)).toBe(url);
  });
});
