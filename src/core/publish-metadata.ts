/**
 * Validates the JSON half of a `cargo publish` upload (PUT /api/v1/crates/new) and turns it into a
 * typed, normalised value. Everything here ends up in index lines that every cargo reads, so the
 * rules are strict about shape and bounded in size; any failure names the offending field, because
 * cargo shows our detail to the user verbatim. Pure.
 */
import { crateNameProblem } from './crate-name.js';
import { badRequest } from './errors.js';
import { versionProblem } from './semver.js';
import { reqProblem } from './version-req.js';

export type DependencyKind = 'normal' | 'build' | 'dev';

export interface PublishDependency {
  /** The real package name; the index calls it `package` when the dependency is renamed. */
  name: string;
  versionReq: string;
  features: string[];
  optional: boolean;
  defaultFeatures: boolean;
  target: string | null;
  kind: DependencyKind;
  /** Index URL of another registry; null means this one. */
  registry: string | null;
  /** The alias the crate uses in `Cargo.toml` when renamed (`foo = { package = "bar" }`). */
  explicitNameInToml: string | null;
}

export interface PublishMetadata {
  name: string;
  vers: string;
  deps: PublishDependency[];
  features: Record<string, string[]>;
  authors: string[];
  description: string | null;
  documentation: string | null;
  homepage: string | null;
  readme: string | null;
  readmeFile: string | null;
  keywords: string[];
  categories: string[];
  license: string | null;
  licenseFile: string | null;
  repository: string | null;
  links: string | null;
  rustVersion: string | null;
}

/**
 * The bounds an operator can set (wharf.toml). The defaults admit every crate crates.io holds:
 * crates published before crates.io introduced its limits (icondata declares some 23,000
 * features; descriptions and keyword lists predate the 2024 rules) must publish here unchanged.
 * crates.io's rules for new crates are `max_features = 300`, `max_dependencies = 500`,
 * `max_keywords = 5`, `max_keyword_length = 20` and `max_description_length = 1000`.
 */
export interface MetadataLimits {
  /** The keys of `features`, the values of one feature and a dependency's features. */
  maxFeatures: number;
  maxDependencies: number;
  maxKeywords: number;
  maxKeywordLength: number;
  maxCategories: number;
  maxDescriptionLength: number;
  maxFeatureNameLength: number;
}

/** crates.io keeps a crate's own feature limit in a 16-bit column: no crate there has more. */
export const DEFAULT_METADATA_LIMITS: Readonly<MetadataLimits> = Object.freeze({
  maxFeatures: 32_767,
  maxDependencies: 10_000,
  maxKeywords: 100,
  maxKeywordLength: 100,
  maxCategories: 100,
  maxDescriptionLength: 1024 * 1024,
  maxFeatureNameLength: 1024,
});

/**
 * Fixed bounds, generous caps that no real crate reaches but that keep one upload from bloating
 * every index read of the crate. The whole metadata is at most 1 MiB anyway (the publish frame).
 */
export const LIMITS = {
  maxFeatureValueLength: 2048,
  maxAuthors: 1000,
  maxAuthorLength: 1024,
  maxCategoryLength: 100,
  maxReadmeLength: 1024 * 1024,
  maxUrlLength: 2048,
  maxLicenseLength: 1024,
  maxPathLength: 1024,
  maxTargetLength: 1024,
  maxRegistryLength: 512,
  maxLinksLength: 128,
  maxRustVersionLength: 64,
} as const;

const KINDS: readonly DependencyKind[] = ['normal', 'build', 'dev'];
// Cargo's rule: a Unicode identifier that may also start with a digit and contain `-`, `+`, `.`.
const FEATURE_NAME = /^[\p{XID_Start}0-9_][\p{XID_Continue}\-+.]*$/u;
// Narrower than what cargo allows in other registries, but what crates.io lets a crate be called.
const DEPENDENCY_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
// crates.io's rule: an ASCII letter or digit, then letters, digits, `_`, `-` or `+`.
const KEYWORD = /^[A-Za-z0-9][A-Za-z0-9_+-]*$/;
const TARGET_TRIPLE = /^[A-Za-z0-9_.-]+$/;
const LINKS = /^[A-Za-z0-9_.+-]+$/;
const RUST_VERSION = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)){0,2}$/;

type Check = (s: string) => string | null;

export function validatePublishMetadata(json: unknown, limits: MetadataLimits = DEFAULT_METADATA_LIMITS): PublishMetadata {
  const root = Reader.of(json, '');
  const text = (key: string, max: number, check?: Check) => root.optionalString(key, max, check);
  const url = (key: string) => text(key, LIMITS.maxUrlLength, httpUrlProblem);
  return {
    name: root.string('name', Infinity, (s) => because('is not a valid crate name', crateNameProblem(s))),
    vers: root.string('vers', Infinity, (s) => because('is not a valid version', versionProblem(s))),
    deps: dependencies(root, limits),
    features: features(root, limits),
    authors: root.strings('authors', LIMITS.maxAuthors, LIMITS.maxAuthorLength),
    description: text('description', limits.maxDescriptionLength),
    documentation: url('documentation'),
    homepage: url('homepage'),
    readme: text('readme', LIMITS.maxReadmeLength),
    readmeFile: text('readme_file', LIMITS.maxPathLength),
    keywords: root.strings('keywords', limits.maxKeywords, limits.maxKeywordLength, keywordProblem),
    categories: root.strings('categories', limits.maxCategories, LIMITS.maxCategoryLength),
    license: text('license', LIMITS.maxLicenseLength),
    licenseFile: text('license_file', LIMITS.maxPathLength),
    repository: url('repository'),
    links: text('links', LIMITS.maxLinksLength, (s) =>
      LINKS.test(s) ? null : 'must be a native library name (ASCII letters, digits, `_`, `-`, `.`, `+`)',
    ),
    rustVersion: text('rust_version', LIMITS.maxRustVersionLength, (s) =>
      RUST_VERSION.test(s) ? null : `must look like \`1.70\` or \`1.70.0\`, got \`${show(s)}\``,
    ),
  };
}

function dependencies(root: Reader, limits: MetadataLimits): PublishDependency[] {
  const seen = new Map<string, number>();
  return root.list('deps', limits.maxDependencies).map((value, i) => {
    const dep = Reader.of(value, `deps[${i}]`);
    const kind = dep.raw('kind') ?? 'normal';
    if (!KINDS.includes(kind as DependencyKind)) {
      fail(dep.at('kind'), `must be one of ${KINDS.join(', ')}, got ${describe(kind)}`);
    }
    const parsed: PublishDependency = {
      name: dep.string('name', Infinity, dependencyNameProblem),
      versionReq: dep.string('version_req', Infinity, (s) =>
        because('is not a valid version requirement', reqProblem(s)),
      ),
      features: dep.strings('features', limits.maxFeatures, limits.maxFeatureNameLength, (s) => featureNameProblem(s, limits)),
      optional: dep.boolean('optional', false),
      defaultFeatures: dep.boolean('default_features', true),
      target: dep.optionalString('target', LIMITS.maxTargetLength, targetProblem),
      kind: kind as DependencyKind,
      registry: dep.optionalString('registry', LIMITS.maxRegistryLength, registryProblem),
      explicitNameInToml: dep.optionalString('explicit_name_in_toml', Infinity, dependencyNameProblem),
    };
    // Cargo lists one crate several times when it is declared per target or per kind; the same
    // name, kind and target twice is an upload cargo would never produce.
    const key = JSON.stringify([parsed.explicitNameInToml ?? parsed.name, parsed.kind, parsed.target]);
    const first = seen.get(key);
    if (first !== undefined) {
      fail(dep.path, `duplicates \`deps[${first}]\` (same name, kind and target)`);
    }
    seen.set(key, i);
    return parsed;
  });
}

function features(root: Reader, limits: MetadataLimits): Record<string, string[]> {
  const value = root.raw('features');
  if (value === undefined || value === null) return {};
  const map = Reader.of(value, 'features');
  const names = map.keys();
  if (names.length > limits.maxFeatures) fail('features', tooManyFeatures(names.length, limits.maxFeatures));
  const entries = names.map((name): [string, string[]] => {
    const problem = featureNameProblem(name, limits);
    if (problem) fail('features', `has an invalid feature name: ${problem}`);
    return [name, map.strings(name, limits.maxFeatures, LIMITS.maxFeatureValueLength, (s) => featureValueProblem(s, limits))];
  });
  // fromEntries defines own properties, so a feature called `__proto__` stays plain data.
  return Object.fromEntries(entries);
}

/** Reads fields of one JSON object, failing with the field's path on any type or rule mismatch. */
class Reader {
  private constructor(
    private readonly obj: Record<string, unknown>,
    readonly path: string,
  ) {}

  static of(value: unknown, path: string): Reader {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      if (path === '') throw badRequest(`invalid upload metadata: expected a JSON object, got ${describe(value)}`);
      fail(path, `must be an object, got ${describe(value)}`);
    }
    return new Reader(value as Record<string, unknown>, path);
  }

  at(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  keys(): string[] {
    return Object.keys(this.obj);
  }

  /** Own properties only: a key such as `constructor` must not find Object.prototype's. */
  raw(key: string): unknown {
    return Object.hasOwn(this.obj, key) ? this.obj[key] : undefined;
  }

  string(key: string, max: number, check?: Check): string {
    const value = this.raw(key);
    if (typeof value !== 'string') fail(this.at(key), `must be a string, got ${describe(value)}`);
    return checked(value, this.at(key), max, check);
  }

  /** Absent and null both mean "not set", as cargo writes null for every unset optional field. */
  optionalString(key: string, max: number, check?: Check): string | null {
    const value = this.raw(key);
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') fail(this.at(key), `must be a string or null, got ${describe(value)}`);
    return checked(value, this.at(key), max, check);
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.raw(key);
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') fail(this.at(key), `must be a boolean, got ${describe(value)}`);
    return value;
  }

  list(key: string, maxItems: number): unknown[] {
    const value = this.raw(key);
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) fail(this.at(key), `must be an array, got ${describe(value)}`);
    if (value.length > maxItems) {
      fail(this.at(key), `has too many entries (${value.length}, max ${maxItems})`);
    }
    return value;
  }

  strings(key: string, maxItems: number, maxLength: number, check?: Check): string[] {
    return this.list(key, maxItems).map((item, i) => {
      const path = `${this.at(key)}[${i}]`;
      if (typeof item !== 'string') fail(path, `must be a string, got ${describe(item)}`);
      return checked(item, path, maxLength, check);
    });
  }
}

function checked(value: string, path: string, max: number, check?: Check): string {
  if (value.length > max) fail(path, `is too long (${value.length} characters, max ${max})`);
  const problem = check?.(value);
  if (problem) fail(path, problem);
  return value;
}

function fail(path: string, problem: string): never {
  throw badRequest(`invalid upload metadata: \`${path}\` ${problem}`);
}

function because(what: string, problem: string | null): string | null {
  return problem === null ? null : `${what}: ${problem}`;
}

function tooManyFeatures(count: number, max: number): string {
  return `has too many features (${count}, max ${max}); an administrator can raise the limit for this crate with \`wharf crate limits\``;
}

/**
 * The feature count against one crate's own limit (an administrator's override, or the
 * registry's setting): the metadata was read under the registry-wide bound, before the crate
 * was known.
 */
export function featureCountProblem(meta: PublishMetadata, maxFeatures: number): string | null {
  const count = Object.keys(meta.features).length;
  if (count > maxFeatures) return `invalid upload metadata: \`features\` ${tooManyFeatures(count, maxFeatures)}`;
  for (const [name, values] of Object.entries(meta.features)) {
    if (values.length > maxFeatures) {
      return `invalid upload metadata: \`features.${name}\` enables ${values.length} features or dependencies, more than this crate's limit of ${maxFeatures}`;
    }
  }
  return null;
}

function featureNameProblem(s: string, limits: MetadataLimits): string | null {
  if (s.length > limits.maxFeatureNameLength) {
    return `\`${show(s)}\` is too long for a feature name (max ${limits.maxFeatureNameLength} characters)`;
  }
  return FEATURE_NAME.test(s)
    ? null
    : `\`${show(s)}\` is not a valid feature name: it must start with a letter, a digit or \`_\` and continue with letters, digits, \`_\`, \`-\`, \`+\` or \`.\``;
}

function dependencyNameProblem(s: string): string | null {
  return DEPENDENCY_NAME.test(s)
    ? null
    : `\`${show(s)}\` is not a valid dependency name: it must start with an ASCII letter and continue with up to 63 ASCII letters, digits, \`-\` or \`_\``;
}

/** A feature enables another feature, `dep:NAME`, `NAME/FEATURE` or, weakly, `NAME?/FEATURE`. */
function featureValueProblem(s: string, limits: MetadataLimits): string | null {
  if (s.startsWith('dep:')) return dependencyNameProblem(s.slice('dep:'.length));
  const slash = s.indexOf('/');
  if (slash === -1) return featureNameProblem(s, limits);
  const dep = s.slice(0, slash);
  return dependencyNameProblem(dep.endsWith('?') ? dep.slice(0, -1) : dep) ?? featureNameProblem(s.slice(slash + 1), limits);
}

function keywordProblem(s: string): string | null {
  return KEYWORD.test(s)
    ? null
    : `\`${show(s)}\` is not a valid keyword: it must start with an ASCII letter or digit and contain only ASCII letters, digits, \`_\`, \`-\` or \`+\``;
}

/** `cfg(...)` with balanced parentheses (ignoring any inside string literals), or a target triple. */
function targetProblem(s: string): string | null {
  if (/[\u0000-\u001f\u007f]/.test(s)) return 'must not contain control characters';
  if (!s.startsWith('cfg(')) {
    return TARGET_TRIPLE.test(s) ? null : `\`${show(s)}\` is neither \`cfg(...)\` nor a target triple`;
  }
  const balanced = s.slice('cfg('.length, -1).trim() !== '' && outerParenClosesAtEnd(s);
  return balanced ? null : `\`${show(s)}\` is not a well-formed \`cfg(...)\` (unbalanced parentheses or quotes)`;
}

/** True when the `(` of `cfg(` is closed by the very last character, and not before. */
function outerParenClosesAtEnd(s: string): boolean {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')' && --depth === 0) return i === s.length - 1;
  }
  return false;
}

function registryProblem(s: string): string | null {
  const url = s.startsWith('sparse+') ? s.slice('sparse+'.length) : s;
  return URL.canParse(url) ? null : `\`${show(s)}\` is not a registry index URL`;
}

function httpUrlProblem(s: string): string | null {
  const protocol = URL.canParse(s) ? new URL(s).protocol : null;
  return protocol === 'http:' || protocol === 'https:' ? null : `must be an http(s) URL, got \`${show(s)}\``;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value === undefined) return 'nothing';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

/** Keeps error details short when a client sends something huge. */
function show(s: string): string {
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}
