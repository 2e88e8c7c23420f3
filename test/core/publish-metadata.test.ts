import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import {
  DEFAULT_METADATA_LIMITS,
  featureCountProblem,
  type MetadataLimits,
  validatePublishMetadata,
  type PublishMetadata,
} from '../../src/core/publish-metadata.js';

/** crates.io's rules for new crates, which an operator can set in wharf.toml. */
const CRATES_IO_RULES: MetadataLimits = {
  maxFeatures: 300,
  maxDependencies: 500,
  maxKeywords: 5,
  maxKeywordLength: 20,
  maxCategories: 5,
  maxDescriptionLength: 1000,
  maxFeatureNameLength: 100,
};

type Json = Record<string, any>;

/** What cargo 1.95 sends for a crate with a renamed, an optional, a target-specific, a build and a dev dependency. */
function cargoUpload(): Json {
  const dep = (fields: Json): Json => ({
    optional: false,
    default_features: true,
    features: [],
    target: null,
    kind: 'normal',
    ...fields,
  });
  return {
    name: 'wharf-demo',
    vers: '0.4.0-rc.1+build.5',
    deps: [
      dep({ name: 'serde', version_req: '^1.0.200', features: ['derive'] }),
      dep({ name: 'tokio', version_req: '^1.37', features: ['rt', 'macros'], default_features: false, explicit_name_in_toml: 'rt' }),
      dep({ name: 'serde_json', version_req: '^1', optional: true }),
      dep({ name: 'windows-sys', version_req: '^0.52', features: ['Win32_Foundation'], target: 'cfg(windows)' }),
      dep({ name: 'cc', version_req: '^1.0.90', kind: 'build' }),
      dep({ name: 'proptest', version_req: '>=1.4, <2', kind: 'dev' }),
      dep({ name: 'serde', version_req: '^1.0.200', features: ['derive', 'rc'], kind: 'dev' }),
      dep({ name: 'private-util', version_req: '~0.3.1', registry: 'sparse+https://cargo.example.com/index/' }),
    ],
    features: {
      default: ['std'],
      std: ['serde/std', 'serde_json?/std'],
      json: ['dep:serde_json'],
      'multi-thread': ['rt/rt-multi-thread'],
    },
    authors: ['Jane Doe <jane@example.com>'],
    description: 'A demo crate for Wharf',
    documentation: 'https://docs.rs/wharf-demo',
    homepage: null,
    readme: '# wharf-demo\n\nHello.\n',
    readme_file: 'README.md',
    keywords: ['registry', 'cargo'],
    categories: ['development-tools'],
    license: 'MIT OR Apache-2.0',
    license_file: null,
    repository: 'https://github.com/example/wharf-demo',
    badges: {},
    links: null,
    rust_version: '1.70',
  };
}

function detailOf(json: unknown, limits: MetadataLimits = CRATES_IO_RULES): string {
  try {
    validatePublishMetadata(json, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'bad_request', status: 400 });
    return (error as AppError).detail;
  }
  throw new Error('expected the metadata to be rejected');
}

const withUpload = (mutate: (upload: Json) => void): Json => {
  const upload = cargoUpload();
  mutate(upload);
  return upload;
};

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('validatePublishMetadata accepts', () => {
  it('a realistic cargo upload, normalised to camelCase with defaults filled in', () => {
    const result = validatePublishMetadata(cargoUpload());
    const base = { features: [], optional: false, defaultFeatures: true, target: null, kind: 'normal' as const, registry: null, explicitNameInToml: null };
    expect(result).toEqual<PublishMetadata>({
      name: 'wharf-demo',
      vers: '0.4.0-rc.1+build.5',
      deps: [
        { ...base, name: 'serde', versionReq: '^1.0.200', features: ['derive'] },
        { ...base, name: 'tokio', versionReq: '^1.37', features: ['rt', 'macros'], defaultFeatures: false, explicitNameInToml: 'rt' },
        { ...base, name: 'serde_json', versionReq: '^1', optional: true },
        { ...base, name: 'windows-sys', versionReq: '^0.52', features: ['Win32_Foundation'], target: 'cfg(windows)' },
        { ...base, name: 'cc', versionReq: '^1.0.90', kind: 'build' },
        { ...base, name: 'proptest', versionReq: '>=1.4, <2', kind: 'dev' },
        { ...base, name: 'serde', versionReq: '^1.0.200', features: ['derive', 'rc'], kind: 'dev' },
        { ...base, name: 'private-util', versionReq: '~0.3.1', registry: 'sparse+https://cargo.example.com/index/' },
      ],
      features: {
        default: ['std'],
        std: ['serde/std', 'serde_json?/std'],
        json: ['dep:serde_json'],
        'multi-thread': ['rt/rt-multi-thread'],
      },
      authors: ['Jane Doe <jane@example.com>'],
      description: 'A demo crate for Wharf',
      documentation: 'https://docs.rs/wharf-demo',
      homepage: null,
      readme: '# wharf-demo\n\nHello.\n',
      readmeFile: 'README.md',
      keywords: ['registry', 'cargo'],
      categories: ['development-tools'],
      license: 'MIT OR Apache-2.0',
      licenseFile: null,
      repository: 'https://github.com/example/wharf-demo',
      links: null,
      rustVersion: '1.70',
    });
  });

  it('the bare minimum, filling every default', () => {
    expect(validatePublishMetadata({ name: 'a', vers: '1.0.0' })).toEqual<PublishMetadata>({
      name: 'a', vers: '1.0.0', deps: [], features: {}, authors: [], description: null,
      documentation: null, homepage: null, readme: null, readmeFile: null, keywords: [],
      categories: [], license: null, licenseFile: null, repository: null, links: null, rustVersion: null,
    });
  });

  it.each<[string, (u: Json) => void]>([
    ['a dependency with only name and version_req', (u) => { u.deps = [{ name: 'x', version_req: '*' }]; }],
    ['kind null as normal', (u) => { u.deps[0].kind = null; }],
    ['the same dependency under two targets', (u) => { u.deps.push({ ...u.deps[3], target: 'cfg(unix)' }); }],
    ['a target triple', (u) => { u.deps[3].target = 'x86_64-pc-windows-msvc'; }],
    ['a nested cfg', (u) => { u.deps[3].target = 'cfg(all(unix, not(target_arch = "wasm32")))'; }],
    ['a parenthesis inside a cfg string', (u) => { u.deps[3].target = 'cfg(target_os = "a)b")'; }],
    ['a git index registry', (u) => { u.deps[7].registry = 'https://github.com/rust-lang/crates.io-index'; }],
    ['unicode and digit-led feature names', (u) => { u.features = { 'ñandú': [], '2d': [], _x: [] }; }],
    ['a feature called __proto__', (u) => { u.features = JSON.parse('{"__proto__": ["std"], "std": []}'); }],
    ['unknown fields, which cargo adds over time', (u) => { u.badges = { maintenance: { status: 'x' } }; u.new_field = [1]; u.deps[0].artifact = ['bin']; }],
    ['null arrays and booleans as defaults', (u) => { u.authors = null; u.deps[0].optional = null; u.deps[0].features = null; }],
    ['rust_version with patch', (u) => { u.rust_version = '1.70.0'; }],
    ['rust_version with only a major', (u) => { u.rust_version = '1'; }],
    ['links to a native library', (u) => { u.links = 'stdc++'; }],
    ['http homepage', (u) => { u.homepage = 'http://example.com/'; }],
    ['a keyword that starts with a digit, as crates.io allows', (u) => { u.keywords = ['3d', '2048']; }],
    [`exactly ${CRATES_IO_RULES.maxKeywords} keywords of ${CRATES_IO_RULES.maxKeywordLength} characters`, (u) => { u.keywords = Array(CRATES_IO_RULES.maxKeywords).fill(`k${'-'.repeat(CRATES_IO_RULES.maxKeywordLength - 1)}`); }],
    [`exactly ${CRATES_IO_RULES.maxDependencies} dependencies`, (u) => { u.deps = Array.from({ length: CRATES_IO_RULES.maxDependencies }, (_, i) => ({ name: `d${i}`, version_req: '1' })); }],
  ])('%s', (_, mutate) => {
    expect(() => validatePublishMetadata(withUpload(mutate), CRATES_IO_RULES)).not.toThrow();
  });

  it('keeps a __proto__ feature as plain data', () => {
    const result = validatePublishMetadata(withUpload((u) => { u.features = JSON.parse('{"__proto__": ["std"], "std": []}'); }));
    expect(Object.getPrototypeOf(result.features)).toBe(Object.prototype);
    expect(Object.keys(result.features)).toEqual(['__proto__', 'std']);
  });
});

describe('validatePublishMetadata rejects the root', () => {
  it.each([[null], [[]], ['{}'], [42], [undefined], [true]])('%j', (root) => {
    expect(detailOf(root)).toMatch(/^invalid upload metadata: expected a JSON object, got /);
  });
});

// Each row: the field path that the detail must name, the mutation, and what the detail says.
const wrongTypes: [string, (u: Json) => void][] = [
  ['name', (u) => { u.name = 42; }],
  ['name', (u) => { delete u.name; }],
  ['vers', (u) => { u.vers = 1.0; }],
  ['vers', (u) => { u.vers = null; }],
  ['deps', (u) => { u.deps = {}; }],
  ['deps', (u) => { u.deps = 'serde'; }],
  ['deps[2]', (u) => { u.deps[2] = 'serde'; }],
  ['deps[2]', (u) => { u.deps[2] = null; }],
  ['deps[2]', (u) => { u.deps[2] = []; }],
  ['deps[0].name', (u) => { u.deps[0].name = 7; }],
  ['deps[0].name', (u) => { delete u.deps[0].name; }],
  ['deps[0].version_req', (u) => { u.deps[0].version_req = 1; }],
  ['deps[0].version_req', (u) => { u.deps[0].version_req = null; }],
  ['deps[0].features', (u) => { u.deps[0].features = 'derive'; }],
  ['deps[0].features[0]', (u) => { u.deps[0].features = [['derive']]; }],
  ['deps[0].optional', (u) => { u.deps[0].optional = 'false'; }],
  ['deps[0].default_features', (u) => { u.deps[0].default_features = 0; }],
  ['deps[0].target', (u) => { u.deps[0].target = { cfg: 'windows' }; }],
  ['deps[0].kind', (u) => { u.deps[0].kind = 1; }],
  ['deps[0].registry', (u) => { u.deps[0].registry = true; }],
  ['deps[0].explicit_name_in_toml', (u) => { u.deps[0].explicit_name_in_toml = ['rt']; }],
  ['features', (u) => { u.features = []; }],
  ['features', (u) => { u.features = 'std'; }],
  ['features.std', (u) => { u.features.std = 'serde/std'; }],
  ['features.std[1]', (u) => { u.features.std[1] = 5; }],
  ['authors', (u) => { u.authors = 'Jane'; }],
  ['authors[0]', (u) => { u.authors = [{ name: 'Jane' }]; }],
  ['description', (u) => { u.description = 5; }],
  ['documentation', (u) => { u.documentation = true; }],
  ['homepage', (u) => { u.homepage = []; }],
  ['readme', (u) => { u.readme = 1; }],
  ['readme_file', (u) => { u.readme_file = {}; }],
  ['keywords', (u) => { u.keywords = 'cargo'; }],
  ['keywords[1]', (u) => { u.keywords[1] = 1; }],
  ['categories', (u) => { u.categories = {}; }],
  ['categories[0]', (u) => { u.categories = [null]; }],
  ['license', (u) => { u.license = 1; }],
  ['license_file', (u) => { u.license_file = false; }],
  ['repository', (u) => { u.repository = 1; }],
  ['links', (u) => { u.links = 1; }],
  ['rust_version', (u) => { u.rust_version = 1.7; }],
];

describe('validatePublishMetadata names the field with the wrong type', () => {
  it.each(wrongTypes)('`%s`', (path, mutate) => {
    expect(detailOf(withUpload(mutate))).toMatch(
      new RegExp(`^invalid upload metadata: \`${escape(path)}\` must be (a string|a string or null|an object|an array|a boolean|one of)`),
    );
  });
});

const tooMany = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe('the default limits admit what crates.io holds', () => {
  it.each<[string, (u: Json) => void]>([
    ['399 features, as winapi 0.3.9', (u) => { u.features = Object.fromEntries(tooMany(399, (i) => [`f${i}`, []])); }],
    ['1,600 features, as web-sys', (u) => { u.features = Object.fromEntries(tooMany(1600, (i) => [`Feature${i}`, ['default']])); }],
    ['23,000 features, as icondata before crates.io had a limit', (u) => { u.features = Object.fromEntries(tooMany(23_000, (i) => [`i${i}`, []])); }],
    ['one feature that enables 1,000 others', (u) => { u.features = { ...Object.fromEntries(tooMany(1000, (i) => [`f${i}`, []])), full: tooMany(1000, (i) => `f${i}`) }; }],
    ['600 dependencies, from before crates.io limited them in 2024', (u) => { u.deps = tooMany(600, (i) => ({ name: `d${i}`, version_req: '1' })); }],
    ['8 keywords of 30 characters, as some early crates have', (u) => { u.keywords = tooMany(8, (i) => `keyword${i}-${'k'.repeat(21)}`); }],
    ['a 5,000-character description, from before crates.io limited it to 1,000', (u) => { u.description = 'd'.repeat(5000); }],
    ['a 200-character feature name', (u) => { u.features = { ['f'.repeat(200)]: [] }; }],
  ])('%s', (_, mutate) => {
    expect(() => validatePublishMetadata(withUpload(mutate), DEFAULT_METADATA_LIMITS)).not.toThrow();
  });

  it('checks the feature count against one crate\'s own limit after reading', () => {
    const meta = validatePublishMetadata(withUpload((u) => { u.features = { ...Object.fromEntries(tooMany(10, (i) => [`f${i}`, []])), all: tooMany(10, (i) => `f${i}`) }; }));
    expect(featureCountProblem(meta, 11)).toBeNull();
    expect(featureCountProblem(meta, 10)).toMatch(/`features` has too many features \(11, max 10\); an administrator can raise the limit for this crate with `wharf crate limits`/);
    expect(featureCountProblem({ ...meta, features: { all: meta.features.all ?? [] } }, 9)).toMatch(/`features\.all` enables 10 features or dependencies, more than this crate's limit of 9/);
  });
});

const ruleViolations: [string, (u: Json) => void, RegExp][] = [
  ['name', (u) => { u.name = 'std'; }, /not a valid crate name: .*reserved/],
  ['name', (u) => { u.name = '1up'; }, /must start with an ASCII letter/],
  ['vers', (u) => { u.vers = '1.0'; }, /not a valid version: invalid semver version `1\.0`/],
  ['vers', (u) => { u.vers = `1.0.0-${'a'.repeat(145)}`; }, /too long \(151 characters/],
  ['deps', (u) => { u.deps = tooMany(501, (i) => ({ name: `d${i}`, version_req: '1' })); }, /too many entries \(501, max 500\)/],
  ['deps[0].name', (u) => { u.deps[0].name = '1abc'; }, /not a valid dependency name/],
  ['deps[0].name', (u) => { u.deps[0].name = 'a'.repeat(65); }, /not a valid dependency name/],
  ['deps[1].explicit_name_in_toml', (u) => { u.deps[1].explicit_name_in_toml = 'my rt'; }, /not a valid dependency name/],
  ['deps[0].version_req', (u) => { u.deps[0].version_req = '>= 1.2 < 2'; }, /not a valid version requirement: .*expected `,`/],
  ['deps[0].version_req', (u) => { u.deps[0].version_req = ''; }, /not a valid version requirement/],
  ['deps[0].features[0]', (u) => { u.deps[0].features = ['serde/std']; }, /not a valid feature name/],
  ['deps[0].features', (u) => { u.deps[0].features = tooMany(301, (i) => `f${i}`); }, /too many entries \(301, max 300\)/],
  ['deps[0].kind', (u) => { u.deps[0].kind = 'runtime'; }, /must be one of normal, build, dev, got a string/],
  ['deps[0].kind', (u) => { u.deps[0].kind = 'Normal'; }, /must be one of/],
  ['deps[3].target', (u) => { u.deps[3].target = 'cfg(windows'; }, /not a well-formed `cfg\(\.\.\.\)`/],
  ['deps[3].target', (u) => { u.deps[3].target = 'cfg(unix))'; }, /not a well-formed/],
  ['deps[3].target', (u) => { u.deps[3].target = 'cfg(unix) cfg(windows)'; }, /not a well-formed/],
  ['deps[3].target', (u) => { u.deps[3].target = 'cfg()'; }, /not a well-formed/],
  ['deps[3].target', (u) => { u.deps[3].target = 'cfg(target_os = "linux)'; }, /not a well-formed/],
  ['deps[3].target', (u) => { u.deps[3].target = 'x86 64'; }, /neither `cfg\(\.\.\.\)` nor a target triple/],
  ['deps[3].target', (u) => { u.deps[3].target = 'cfg(unix\n)'; }, /control characters/],
  ['deps[3].target', (u) => { u.deps[3].target = `cfg(${'a'.repeat(1021)})`; }, /too long \(1026 characters, max 1024\)/],
  ['deps[7].registry', (u) => { u.deps[7].registry = 'not a url'; }, /not a registry index URL/],
  ['deps[7].registry', (u) => { u.deps[7].registry = 'sparse+nope'; }, /not a registry index URL/],
  ['deps[6]', (u) => { u.deps[6].kind = 'normal'; }, /duplicates `deps\[0\]`/],
  ['deps[8]', (u) => { u.deps.push({ name: 'tokio', version_req: '1', explicit_name_in_toml: 'rt' }); }, /duplicates `deps\[1\]`/],
  ['features', (u) => { u.features = Object.fromEntries(tooMany(301, (i) => [`f${i}`, []])); }, /too many features \(301, max 300\)/],
  ['features', (u) => { u.features['a b'] = []; }, /invalid feature name: `a b`/],
  ['features', (u) => { u.features['-std'] = []; }, /invalid feature name/],
  ['features', (u) => { u.features['dep:x'] = []; }, /invalid feature name/],
  ['features', (u) => { u.features['f'.repeat(101)] = []; }, /too long for a feature name/],
  ['features.std', (u) => { u.features.std = tooMany(301, () => 'default'); }, /too many entries \(301, max 300\)/],
  ['features.std[0]', (u) => { u.features.std[0] = 'serde/'; }, /not a valid feature name/],
  ['features.std[0]', (u) => { u.features.std[0] = '?/std'; }, /not a valid dependency name/],
  ['features.std[0]', (u) => { u.features.std[0] = 'serde/std/x'; }, /not a valid feature name/],
  ['features.std[0]', (u) => { u.features.std[0] = 'serde??/std'; }, /not a valid dependency name/],
  ['features.json[0]', (u) => { u.features.json[0] = 'dep:'; }, /not a valid dependency name/],
  ['features.json[0]', (u) => { u.features.json[0] = 'dep:serde/std'; }, /not a valid dependency name/],
  ['features.default[0]', (u) => { u.features.default[0] = ''; }, /not a valid feature name/],
  ['features.default[0]', (u) => { u.features.default[0] = `x/${'y'.repeat(2047)}`; }, /too long \(2049 characters, max 2048\)/],
  ['keywords', (u) => { u.keywords = ['a', 'b', 'c', 'd', 'e', 'f']; }, /too many entries \(6, max 5\)/],
  ['keywords[0]', (u) => { u.keywords[0] = '_abc'; }, /not a valid keyword/],
  ['keywords[0]', (u) => { u.keywords[0] = 'two words'; }, /not a valid keyword/],
  ['keywords[0]', (u) => { u.keywords[0] = ''; }, /not a valid keyword/],
  ['keywords[0]', (u) => { u.keywords[0] = 'k'.repeat(21); }, /too long \(21 characters, max 20\)/],
  ['categories', (u) => { u.categories = tooMany(6, (i) => `c${i}`); }, /too many entries \(6, max 5\)/],
  ['categories[0]', (u) => { u.categories[0] = 'c'.repeat(101); }, /too long/],
  ['authors', (u) => { u.authors = tooMany(1001, (i) => `a${i}`); }, /too many entries/],
  ['authors[0]', (u) => { u.authors[0] = 'a'.repeat(1025); }, /too long/],
  ['description', (u) => { u.description = 'd'.repeat(1001); }, /too long \(1001 characters, max 1000\)/],
  ['readme', (u) => { u.readme = 'r'.repeat(1024 * 1024 + 1); }, /too long/],
  ['readme_file', (u) => { u.readme_file = 'r'.repeat(1025); }, /too long/],
  ['license', (u) => { u.license = 'l'.repeat(1025); }, /too long/],
  ['homepage', (u) => { u.homepage = 'ftp://example.com/'; }, /must be an http\(s\) URL/],
  ['documentation', (u) => { u.documentation = 'javascript:alert(1)'; }, /must be an http\(s\) URL/],
  ['repository', (u) => { u.repository = 'github.com/example/x'; }, /must be an http\(s\) URL/],
  ['repository', (u) => { u.repository = `https://example.com/${'x'.repeat(2029)}`; }, /too long/],
  ['links', (u) => { u.links = 'two words'; }, /native library name/],
  ['links', (u) => { u.links = ''; }, /native library name/],
  ['rust_version', (u) => { u.rust_version = '1.70.0.1'; }, /must look like `1\.70`/],
  ['rust_version', (u) => { u.rust_version = '1.070'; }, /must look like/],
  ['rust_version', (u) => { u.rust_version = 'stable'; }, /must look like/],
  ['rust_version', (u) => { u.rust_version = '1.70.0-nightly'; }, /must look like/],
];

describe('validatePublishMetadata enforces the rules, naming the field', () => {
  it.each(ruleViolations)('`%s` %#', (path, mutate, why) => {
    const detail = detailOf(withUpload(mutate));
    expect(detail).toMatch(new RegExp(`^invalid upload metadata: \`${escape(path)}\` `));
    expect(detail).toMatch(why);
  });

  it('keeps the detail short when the bad value is huge', () => {
    const detail = detailOf(withUpload((u) => { u.deps[3].target = `x y${'z'.repeat(200)}`; }));
    expect(detail.length).toBeLessThan(200);
  });
});

describe('properties', () => {
  it('never fails with anything but a bad_request AppError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.object(), fc.dictionary(fc.string(), fc.anything())), (json) => {
        try {
          validatePublishMetadata(json);
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
          expect((error as AppError).code).toBe('bad_request');
        }
      }),
    );
  });

  const topLevel = Object.keys(cargoUpload()).filter((k) => k !== 'badges');
  const depFields = ['name', 'version_req', 'features', 'optional', 'default_features', 'target', 'kind', 'registry', 'explicit_name_in_toml'];

  it('replacing any field with arbitrary JSON is accepted or rejected naming that field', () => {
    fc.assert(
      fc.property(fc.constantFrom(...topLevel), fc.jsonValue(), (key, value) => {
        const upload = withUpload((u) => { u[key] = value; });
        try {
          validatePublishMetadata(upload);
        } catch (error) {
          expect((error as AppError).detail).toMatch(new RegExp(`^invalid upload metadata: \`${escape(key)}[\`.[]`));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('replacing any dependency field with arbitrary JSON is accepted or rejected naming that field', () => {
    fc.assert(
      fc.property(fc.nat({ max: 7 }), fc.constantFrom(...depFields), fc.jsonValue(), (i, key, value) => {
        const upload = withUpload((u) => { u.deps[i][key] = value; });
        try {
          validatePublishMetadata(upload);
        } catch (error) {
          // A changed name, kind or target may make some entry a duplicate of another one.
          expect((error as AppError).detail).toMatch(
            new RegExp(`^invalid upload metadata: \`deps\\[(${i}\\]\\.${escape(key)}[\`[]|\\d+\\]\` duplicates)`),
          );
        }
      }),
      { numRuns: 500 },
    );
  });
});
