import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatPubtime,
  indexPath,
  renderIndexFile,
  renderIndexLine,
  type DependencyKind,
  type IndexDependency,
  type IndexVersion,
} from '../../src/core/index-line.js';

const CKSUM = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const WHEN = new Date('2024-05-06T07:08:09.250Z');
const OTHER = 'sparse+https://other.example/index/';

function dep(overrides: Partial<IndexDependency> & { name: string }): IndexDependency {
  return {
    explicitName: null,
    req: '^1',
    features: [],
    optional: false,
    defaultFeatures: true,
    target: null,
    kind: 'normal',
    registry: null,
    ...overrides,
  };
}

function version(overrides: Partial<IndexVersion> = {}): IndexVersion {
  return {
    name: 'demo',
    vers: '1.0.0',
    deps: [],
    cksum: CKSUM,
    features: {},
    yanked: false,
    links: null,
    rustVersion: null,
    publishedAt: WHEN,
    ...overrides,
  };
}

/** The JSON of a plain dep as the index writes it, with the fields cargo requires. */
const plainDep = (name: string, req = '^1') =>
  `{"name":"${name}","req":"${req}","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal"}`;

describe('indexPath', () => {
  it.each([
    ['a', '1/a'],
    ['A', '1/a'],
    ['ab', '2/ab'],
    ['AB', '2/ab'],
    ['abc', '3/a/abc'],
    ['Abc', '3/a/abc'],
    ['abcd', 'ab/cd/abcd'],
    ['cargo', 'ca/rg/cargo'],
    ['Cargo', 'ca/rg/cargo'],
    ['serde_json', 'se/rd/serde_json'],
    ['a-b_c', 'a-/b_/a-b_c'],
    ['x'.repeat(64), `xx/xx/${'x'.repeat(64)}`],
  ])('%j -> %j', (name, path) => {
    expect(indexPath(name)).toBe(path);
  });

  it('refuses an empty name', () => {
    expect(() => indexPath('')).toThrow(/empty/);
  });

  it('is the same path whatever the case of the name, and always ends with the lowercased name', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/), (name) => {
        const path = indexPath(name);
        expect(indexPath(name.toUpperCase())).toBe(path);
        expect(path.endsWith(`/${name.toLowerCase()}`)).toBe(true);
        expect(path).toBe(path.toLowerCase());
      }),
    );
  });
});

describe('renderIndexLine writes exactly', () => {
  it.each<[string, IndexVersion, string]>([
    [
      'a plain version',
      version(),
      `{"name":"demo","vers":"1.0.0","deps":[],"cksum":"${CKSUM}","features":{},"yanked":false,"pubtime":"2024-05-06T07:08:09Z"}`,
    ],
    [
      'the name in the case it was published',
      version({ name: 'My-Crate', vers: '0.1.0-beta.2+build.5' }),
      `{"name":"My-Crate","vers":"0.1.0-beta.2+build.5","deps":[],"cksum":"${CKSUM}","features":{},"yanked":false,"pubtime":"2024-05-06T07:08:09Z"}`,
    ],
    [
      'a yanked version',
      version({ yanked: true }),
      `{"name":"demo","vers":"1.0.0","deps":[],"cksum":"${CKSUM}","features":{},"yanked":true,"pubtime":"2024-05-06T07:08:09Z"}`,
    ],
    [
      'a plain dependency, without `package` or `registry`',
      version({ deps: [dep({ name: 'serde', req: '^1.0.100' })] }),
      `{"name":"demo","vers":"1.0.0","deps":[${plainDep('serde', '^1.0.100')}],"cksum":"${CKSUM}","features":{},"yanked":false,"pubtime":"2024-05-06T07:08:09Z"}`,
    ],
    [
      'a renamed dependency: `name` is the alias, `package` the real name',
      version({ deps: [dep({ name: 'serde_json', explicitName: 'json' })] }),
      `{"name":"demo","vers":"1.0.0","deps":[{"name":"json","req":"^1","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal","package":"serde_json"}],"cksum":"${CKSUM}","features":{},"yanked":false,"pubtime":"2024-05-06T07:08:09Z"}`,
    ],
    [
      'a dependency whose explicit name is its own name, which is no rename',
      version({ deps: [dep({ name: 'serde', explicitName: 'serde' })] }),
      `{"name":"demo","vers":"1.0.0","deps":[${plainDep('serde')}],"cksum":"${CKSUM}","features":{},"yanked":false,"pubtime":"2024-05-06T07:08:09Z"}`,
    ],
    [
      'a dependency from another registry',
      version({ deps: [dep({ name: 'internal', registry: OTHER })] }),
      `{"name":"demo","vers":"1.0.0","deps":[{"name":"internal","req":"^1","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal","registry":"${OTHER}"}],"cksum":"${CKSUM}","features":{},"yanked":false,"pubtime":"2024-05-06T07:08:09Z"}`,
    ],
    [
      'a renamed dependency from another registry',
      version({ deps: [dep({ name: 'internal', explicitName: 'int', registry: OTHER })] }),
      `{"name":"demo","vers":"1.0.0","deps":[{"name":"int","req":"^1","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal","registry":"${OTHER}","package":"internal"}],"cksum":"${CKSUM}","features":{},"yanked":false,"pubtime":"2024-05-06T07:08:09Z"}`,
    ],
    [
      'every dependency field that can differ from the default',
      version({
        deps: [
          dep({
            name: 'libc',
            req: '=0.2.150',
            features: ['extra_traits', 'std'],
            optional: true,
            defaultFeatures: false,
            target: 'cfg(unix)',
            kind: 'build',
          }),
        ],
      }),
      `{"name":"demo","vers":"1.0.0","deps":[{"name":"libc","req":"=0.2.150","features":["extra_traits","std"],"optional":true,"default_features":false,"target":"cfg(unix)","kind":"build"}],"cksum":"${CKSUM}","features":{},"yanked":false,"pubtime":"2024-05-06T07:08:09Z"}`,
    ],
    [
      'plain features only: no `features2`, no `v`',
      version({ features: { std: [], default: ['std', 'serde/derive'] } }),
      `{"name":"demo","vers":"1.0.0","deps":[],"cksum":"${CKSUM}","features":{"default":["std","serde/derive"],"std":[]},"yanked":false,"pubtime":"2024-05-06T07:08:09Z"}`,
    ],
    [
      'features using `dep:` or `?/` in `features2` with `"v":2`, the rest in `features`',
      version({
        features: {
          std: [],
          serde: ['dep:serde'],
          default: ['std'],
          derive: ['std', 'serde?/derive'],
        },
      }),
      `{"name":"demo","vers":"1.0.0","deps":[],"cksum":"${CKSUM}","features":{"default":["std"],"std":[]},"yanked":false,"features2":{"derive":["std","serde?/derive"],"serde":["dep:serde"]},"v":2,"pubtime":"2024-05-06T07:08:09Z"}`,
    ],
    [
      'only new-syntax features: `features` is an empty map',
      version({ features: { json: ['dep:serde_json'] } }),
      `{"name":"demo","vers":"1.0.0","deps":[],"cksum":"${CKSUM}","features":{},"yanked":false,"features2":{"json":["dep:serde_json"]},"v":2,"pubtime":"2024-05-06T07:08:09Z"}`,
    ],
    [
      '`links` and `rust_version` when set',
      version({ links: 'z', rustVersion: '1.70' }),
      `{"name":"demo","vers":"1.0.0","deps":[],"cksum":"${CKSUM}","features":{},"yanked":false,"links":"z","rust_version":"1.70","pubtime":"2024-05-06T07:08:09Z"}`,
    ],
    [
      '`links` alone',
      version({ links: 'git2' }),
      `{"name":"demo","vers":"1.0.0","deps":[],"cksum":"${CKSUM}","features":{},"yanked":false,"links":"git2","pubtime":"2024-05-06T07:08:09Z"}`,
    ],
    [
      '`rust_version` alone',
      version({ rustVersion: '1.56.1' }),
      `{"name":"demo","vers":"1.0.0","deps":[],"cksum":"${CKSUM}","features":{},"yanked":false,"rust_version":"1.56.1","pubtime":"2024-05-06T07:08:09Z"}`,
    ],
    [
      'a publish time at the start of a second, and one just before midnight',
      version({ publishedAt: new Date('1999-12-31T23:59:59.999Z') }),
      `{"name":"demo","vers":"1.0.0","deps":[],"cksum":"${CKSUM}","features":{},"yanked":false,"pubtime":"1999-12-31T23:59:59Z"}`,
    ],
  ])('%s', (_, v, expected) => {
    const line = renderIndexLine(v);
    expect(line).toBe(expected);
    expect(line).not.toContain('\n');
  });
});

describe('renderIndexLine orders dependencies', () => {
  it('by the name used in Cargo.toml, then kind, then target', () => {
    const line = renderIndexLine(
      version({
        deps: [
          dep({ name: 'zeta' }),
          dep({ name: 'alpha', target: 'cfg(windows)' }),
          dep({ name: 'alpha', kind: 'dev' }),
          dep({ name: 'aaa-real', explicitName: 'mid' }),
          dep({ name: 'alpha', target: 'cfg(unix)' }),
          dep({ name: 'alpha', kind: 'build' }),
          dep({ name: 'alpha' }),
        ],
      }),
    );
    const deps = (JSON.parse(line) as { deps: { name: string; kind: string; target: string | null }[] }).deps;
    expect(deps.map((d) => [d.name, d.kind, d.target])).toEqual([
      ['alpha', 'build', null],
      ['alpha', 'dev', null],
      ['alpha', 'normal', null],
      ['alpha', 'normal', 'cfg(unix)'],
      ['alpha', 'normal', 'cfg(windows)'],
      ['mid', 'normal', null],
      ['zeta', 'normal', null],
    ]);
  });

  it('without changing the caller’s array', () => {
    const deps = [dep({ name: 'b' }), dep({ name: 'a' })];
    renderIndexLine(version({ deps }));
    expect(deps.map((d) => d.name)).toEqual(['b', 'a']);
  });
});

// Small alphabets, so that names, kinds and targets often coincide and every tie-break is exercised.
const depName = fc.constantFrom('a', 'b', 'serde', 'serde_json', 'Serde', 'serde-json');
const featureName = fc.constantFrom('std', 'default', 'derive', 'alloc', 'json', 'x');
const featureValue = fc.oneof(
  featureName,
  depName.map((d) => `dep:${d}`),
  fc.tuple(depName, featureName).map(([d, f]) => `${d}?/${f}`),
  fc.tuple(depName, featureName).map(([d, f]) => `${d}/${f}`),
);
const dependency: fc.Arbitrary<IndexDependency> = fc.record({
  name: depName,
  explicitName: fc.option(depName, { nil: null }),
  req: fc.constantFrom('^1', '~0.2', '*', '=1.2.3', '>=1, <2'),
  features: fc.array(featureName, { maxLength: 3 }),
  optional: fc.boolean(),
  defaultFeatures: fc.boolean(),
  target: fc.option(fc.constantFrom('cfg(unix)', 'cfg(windows)', 'x86_64-pc-windows-msvc'), { nil: null }),
  kind: fc.constantFrom<DependencyKind>('normal', 'build', 'dev'),
  registry: fc.option(fc.constant(OTHER), { nil: null }),
});
// Cargo never uploads the same name-in-toml, kind and target twice (publish-metadata refuses it),
// so that triple identifies a dependency.
const dependencies = fc.uniqueArray(dependency, {
  maxLength: 12,
  selector: (d) => JSON.stringify([d.explicitName ?? d.name, d.kind, d.target]),
});
const featureEntries = fc.uniqueArray(fc.tuple(featureName, fc.array(featureValue, { maxLength: 3 })), {
  maxLength: 6,
  selector: ([k]) => k,
});

describe('renderIndexLine is deterministic', () => {
  it('equal data gives equal bytes whatever the order of deps and feature keys', () => {
    const permuted = <T>(xs: readonly T[]) => fc.shuffledSubarray([...xs], { minLength: xs.length, maxLength: xs.length });
    const input = fc
      .tuple(dependencies, featureEntries)
      .chain(([deps, feats]) => fc.tuple(fc.constant(deps), permuted(deps), fc.constant(feats), permuted(feats)));
    fc.assert(
      fc.property(input, ([deps, depsShuffled, feats, featsShuffled]) => {
        const a = renderIndexLine(version({ deps, features: Object.fromEntries(feats) }));
        const b = renderIndexLine(version({ deps: depsShuffled, features: Object.fromEntries(featsShuffled) }));
        expect(b).toBe(a);
      }),
      { numRuns: 500 },
    );
  });

  it('every line parses as JSON that cargo can read back: every dep once, sorted, features split by syntax', () => {
    fc.assert(
      fc.property(dependencies, featureEntries, fc.boolean(), (deps, feats, yanked) => {
        const line = renderIndexLine(version({ deps, features: Object.fromEntries(feats), yanked }));
        const parsed = JSON.parse(line) as {
          deps: { name: string; kind: string; target: string | null; package?: string; registry?: string }[];
          features: Record<string, string[]>;
          features2?: Record<string, string[]>;
          v?: number;
          yanked: boolean;
        };
        expect(parsed.yanked).toBe(yanked);

        const key = (d: { name: string; kind: string; target: string | null }) => [d.name, d.kind, d.target ?? ''];
        const keys = parsed.deps.map(key);
        const sorted = [...keys].sort((x, y) => (x.join('\0') < y.join('\0') ? -1 : x.join('\0') > y.join('\0') ? 1 : 0));
        expect(keys).toEqual(sorted);
        expect(new Set(parsed.deps.map((d) => JSON.stringify(key(d)))).size).toBe(deps.length);
        for (const d of parsed.deps) {
          const source = deps.find((s) => JSON.stringify(key({ name: s.explicitName ?? s.name, kind: s.kind, target: s.target })) === JSON.stringify(key(d)));
          expect(source).toBeDefined();
          const renamed = source!.explicitName !== null && source!.explicitName !== source!.name;
          expect(d.package).toBe(renamed ? source!.name : undefined);
          expect(d.registry).toBe(source!.registry ?? undefined);
        }

        const isNew = (values: string[]) => values.some((x) => x.startsWith('dep:') || x.includes('?/'));
        expect({ ...parsed.features, ...parsed.features2 }).toEqual(Object.fromEntries(feats));
        expect(Object.values(parsed.features).some(isNew)).toBe(false);
        expect(Object.values(parsed.features2 ?? {}).every(isNew)).toBe(true);
        const anyNew = feats.some(([, values]) => isNew(values));
        expect(parsed.v).toBe(anyNew ? 2 : undefined);
        expect(parsed.features2 !== undefined).toBe(anyNew);
      }),
      { numRuns: 300 },
    );
  });
});

describe('pubtime', () => {
  it.each([
    ['2024-05-06T07:08:09.250Z', '2024-05-06T07:08:09Z'],
    ['2024-05-06T07:08:09.000Z', '2024-05-06T07:08:09Z'],
    ['1970-01-01T00:00:00.000Z', '1970-01-01T00:00:00Z'],
    ['2000-02-29T12:00:00.999Z', '2000-02-29T12:00:00Z'],
  ])('%s -> %s', (iso, expected) => {
    expect(formatPubtime(new Date(iso))).toBe(expected);
  });

  it('is always YYYY-MM-DDTHH:MM:SSZ, in UTC, the publish time truncated to the second', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        (date) => {
          const pubtime = (JSON.parse(renderIndexLine(version({ publishedAt: date }))) as { pubtime: string }).pubtime;
          expect(pubtime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
          expect(Date.parse(pubtime)).toBe(Math.floor(date.getTime() / 1000) * 1000);
        },
      ),
    );
  });
});

describe('renderIndexFile', () => {
  it('writes one line per version, in the given order, each ending in a newline', () => {
    const versions = [
      version({ vers: '0.2.0' }),
      version({ vers: '0.1.0', yanked: true }),
      version({ vers: '1.0.0-rc.1', deps: [dep({ name: 'serde' })] }),
    ];
    const file = renderIndexFile(versions);
    expect(file).toBe(versions.map((v) => `${renderIndexLine(v)}\n`).join(''));
    expect(file.endsWith('\n')).toBe(true);
    const lines = file.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => (JSON.parse(l) as { vers: string }).vers)).toEqual(['0.2.0', '0.1.0', '1.0.0-rc.1']);
  });

  it('is empty for no versions', () => {
    expect(renderIndexFile([])).toBe('');
  });

  it('for any list of versions: as many newline-terminated JSON lines, in order', () => {
    const versionArb = fc.record({
      vers: fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map((xs) => xs.join('.')),
      deps: dependencies,
      yanked: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(versionArb, { maxLength: 8 }), (specs) => {
        const file = renderIndexFile(specs.map((s) => version(s)));
        const lines = file.split('\n');
        expect(lines.pop()).toBe('');
        expect(lines).toHaveLength(specs.length);
        expect(lines.map((l) => (JSON.parse(l) as { vers: string; yanked: boolean })).map((p) => [p.vers, p.yanked])).toEqual(
          specs.map((s) => [s.vers, s.yanked]),
        );
      }),
      { numRuns: 200 },
    );
  });
});
