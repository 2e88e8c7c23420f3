import { describe, expect, it } from 'vitest';
import { crateTargets } from '../../src/core/crate-targets.js';

const prefix = 'demo-1.0.0/';
const files = (...paths: string[]) => paths.map((p) => prefix + p);
const pkg = (extra: Record<string, unknown> = {}) => ({ package: { name: 'demo', version: '1.0.0', edition: '2021', ...extra } });

describe('crateTargets', () => {
  it.each([
    ['a library alone', pkg(), files('Cargo.toml', 'src/lib.rs'), { edition: '2021', hasLib: true, binNames: [] }],
    ['src/main.rs: a binary named after the package', pkg(), files('src/main.rs'), { edition: '2021', hasLib: false, binNames: ['demo'] }],
    ['binaries under src/bin, by file and by folder, sorted', pkg(), files('src/lib.rs', 'src/bin/zeta.rs', 'src/bin/alpha/main.rs', 'src/bin/alpha/util.rs'), { edition: '2021', hasLib: true, binNames: ['alpha', 'zeta'] }],
    ['a [lib] table without src/lib.rs', { ...pkg(), lib: { path: 'lib/mod.rs' } }, files('lib/mod.rs'), { edition: '2021', hasLib: true, binNames: [] }],
    ['autolib = false', pkg({ autolib: false }), files('src/lib.rs'), { edition: '2021', hasLib: false, binNames: [] }],
    ['autobins = false keeps only the declared binaries', { ...pkg({ autobins: false }), bin: [{ name: 'tool', path: 'src/main.rs' }] }, files('src/main.rs', 'src/bin/x.rs'), { edition: '2021', hasLib: false, binNames: ['tool'] }],
    ['a declared binary on src/main.rs is not found twice', { ...pkg(), bin: [{ name: 'tool', path: 'src/main.rs' }] }, files('src/main.rs', 'src/bin/x.rs'), { edition: '2021', hasLib: false, binNames: ['tool', 'x'] }],
    ['edition 2015 with a declared binary discovers none', { ...pkg({ edition: '2015' }), bin: [{ name: 'tool', path: 'tool.rs' }] }, files('tool.rs', 'src/main.rs'), { edition: '2015', hasLib: false, binNames: ['tool'] }],
    ['no edition: null, discovery as in 2015', { package: { name: 'demo', version: '1.0.0' } }, files('src/main.rs'), { edition: null, hasLib: false, binNames: ['demo'] }],
    ['files outside the crate folder do not count', pkg(), ['other-1.0.0/src/lib.rs'], { edition: '2021', hasLib: false, binNames: [] }],
  ])('%s', (_label, manifest, list, expected) => {
    expect(crateTargets(manifest, list, prefix)).toEqual(expected);
  });

  it('ignores an edition that is not a string (an unresolved workspace inheritance)', () => {
    expect(crateTargets(pkg({ edition: { workspace: true } }), [], prefix).edition).toBeNull();
  });
});
