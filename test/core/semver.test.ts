import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import {
  compareVersions,
  isPrerelease,
  MAX_VERSION_LENGTH,
  parseVersion,
  versionProblem,
  withoutBuild,
} from '../../src/core/semver.js';

describe('parseVersion accepts strict SemVer', () => {
  it.each([
    ['0.0.0', 0, 0, 0, [], []],
    ['1.2.3', 1, 2, 3, [], []],
    ['10.20.30', 10, 20, 30, [], []],
    ['1.0.0-alpha', 1, 0, 0, ['alpha'], []],
    ['1.0.0-alpha.1', 1, 0, 0, ['alpha', '1'], []],
    ['1.0.0-0.3.7', 1, 0, 0, ['0', '3', '7'], []],
    ['1.0.0-x.7.z.92', 1, 0, 0, ['x', '7', 'z', '92'], []],
    ['1.0.0-x-y-z.--', 1, 0, 0, ['x-y-z', '--'], []],
    ['1.0.0-alpha+001', 1, 0, 0, ['alpha'], ['001']],
    ['1.0.0+20130313144700', 1, 0, 0, [], ['20130313144700']],
    ['1.0.0-beta+exp.sha.5114f85', 1, 0, 0, ['beta'], ['exp', 'sha', '5114f85']],
    ['1.0.0+21AF26D3----117B344092BD', 1, 0, 0, [], ['21AF26D3----117B344092BD']],
    ['1.0.0-0a', 1, 0, 0, ['0a'], []],
    [`${Number.MAX_SAFE_INTEGER}.0.0`, Number.MAX_SAFE_INTEGER, 0, 0, [], []],
  ])('%s', (raw, major, minor, patch, pre, build) => {
    expect(parseVersion(raw)).toEqual({ major, minor, patch, pre, build, raw });
    expect(versionProblem(raw)).toBeNull();
  });
});

describe('parseVersion rejects', () => {
  it.each([
    ['', /empty/],
    ['1', /MAJOR\.MINOR\.PATCH/],
    ['1.0', /MAJOR\.MINOR\.PATCH/],
    ['1.2.3.4', /MAJOR\.MINOR\.PATCH/],
    ['01.0.0', /major version `01` has a leading zero/],
    ['1.00.0', /minor version `00` has a leading zero/],
    ['1.0.00', /patch version `00` has a leading zero/],
    ['1..0', /minor version is empty/],
    ['1.0.0-', /empty identifier in the pre-release/],
    ['1.0.0-alpha..1', /empty identifier in the pre-release/],
    ['1.0.0-01', /leading zero/],
    ['1.0.0-alpha.01', /leading zero/],
    ['1.0.0+', /empty identifier in the build/],
    ['1.0.0+a..b', /empty identifier in the build/],
    ['1.0.0+a+b', /unexpected character `\+` in the build/],
    ['1.0.0-al_pha', /unexpected character `_` in the pre-release/],
    ['1.0.0-ä', /unexpected character `ä`/],
    ['v1.0.0', /unexpected character `v` in the major version/],
    ['=1.0.0', /unexpected character `=`/],
    [' 1.0.0', /unexpected character ` `/],
    ['1.0.0 ', /unexpected character ` `/],
    ['1.0.0\n', /unexpected character/],
    ['-1.0.0', /MAJOR\.MINOR\.PATCH/],
    ['1.0.0a', /unexpected character `a` in the patch version/],
    ['1.2.x', /unexpected character `x`/],
    [`${Number.MAX_SAFE_INTEGER + 1}.0.0`, /too large/],
    ['1.99999999999999999999.0', /too large/],
  ])('%j', (raw, why) => {
    const problem = versionProblem(raw);
    expect(problem).toMatch(/^invalid semver version `/);
    expect(problem).toMatch(why);
    expect(() => parseVersion(raw)).toThrow(AppError);
  });

  it('reports a distinct error over 150 characters, even for an otherwise valid version', () => {
    const atLimit = `1.0.0-${'a'.repeat(MAX_VERSION_LENGTH - 6)}`;
    expect(atLimit).toHaveLength(150);
    expect(versionProblem(atLimit)).toBeNull();
    const tooLong = `${atLimit}b`;
    expect(versionProblem(tooLong)).toMatch(/too long \(151 characters, max 150\)/);
  });

  it.each([[1], [null], [undefined], [{}], [['1.0.0']]])('non-string %j', (value) => {
    expect(versionProblem(value)).toBe('the version must be a string');
  });

  it('throws a bad_request AppError carrying the detail', () => {
    const error = (() => {
      try {
        parseVersion('1.0');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 400, code: 'bad_request' });
    expect((error as AppError).detail).toMatch(/^invalid semver version `1\.0`: /);
  });
});

describe('compareVersions', () => {
  // The example chain from SemVer 2.0.0 item 11, extended on both sides.
  const ordered = [
    '0.9.9', '1.0.0-0', '1.0.0-9', '1.0.0-10', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta',
    '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '2.0.0',
    '10.0.0',
  ];
  const pairs = ordered.flatMap((a, i) => ordered.slice(i + 1).map((b) => [a, b] as const));

  it.each(pairs)('%s < %s', (a, b) => {
    expect(compareVersions(parseVersion(a), parseVersion(b))).toBeLessThan(0);
    expect(compareVersions(parseVersion(b), parseVersion(a))).toBeGreaterThan(0);
  });

  it.each([
    ['1.0.0+a', '1.0.0+b'],
    ['1.0.0-rc.1+x', '1.0.0-rc.1'],
    ['1.0.0', '1.0.0+build.7'],
  ])('ignores build metadata: %s == %s', (a, b) => {
    expect(compareVersions(parseVersion(a), parseVersion(b))).toBe(0);
  });

  it('orders numeric pre-release identifiers beyond float precision', () => {
    const a = parseVersion('1.0.0-90071992547409910');
    const b = parseVersion('1.0.0-90071992547409911');
    expect(compareVersions(a, b)).toBeLessThan(0);
  });
});

describe('withoutBuild and isPrerelease', () => {
  it.each([
    ['1.0.0', '1.0.0'],
    ['1.0.0+abc', '1.0.0'],
    ['1.0.0-rc.1+abc.def', '1.0.0-rc.1'],
  ])('withoutBuild(%s) = %s', (raw, expected) => {
    expect(withoutBuild(raw)).toBe(expected);
  });

  it.each([
    ['1.0.0', false],
    ['1.0.0+pre', false],
    ['1.0.0-pre', true],
  ])('isPrerelease(%s) = %s', (raw, expected) => {
    expect(isPrerelease(parseVersion(raw))).toBe(expected);
  });
});

// Small ranges on purpose, so that generated versions often share parts and compare equal.
const numeric = fc.nat({ max: 12 }).map(String);
const alnum = fc
  .string({ unit: fc.constantFrom(...'0aAzZ-'), minLength: 1, maxLength: 3 })
  .filter((s) => !/^[0-9]+$/.test(s));
const identifiers = (arb: fc.Arbitrary<string>) => fc.array(arb, { maxLength: 3 });
const versionText = fc
  .record({
    core: fc.tuple(numeric, numeric, numeric),
    pre: identifiers(fc.oneof(numeric, alnum)),
    build: identifiers(fc.oneof(fc.stringMatching(/^[0-9]{1,3}$/), alnum)),
  })
  .map(({ core, pre, build }) =>
    core.join('.') + (pre.length ? `-${pre.join('.')}` : '') + (build.length ? `+${build.join('.')}` : ''),
  );
const version = versionText.map(parseVersion);

describe('properties', () => {
  it('every generated valid version parses and keeps its raw text', () => {
    fc.assert(
      fc.property(versionText, (raw) => {
        expect(versionProblem(raw)).toBeNull();
        const v = parseVersion(raw);
        expect(v.raw).toBe(raw);
        const rebuilt =
          `${v.major}.${v.minor}.${v.patch}` +
          (v.pre.length ? `-${v.pre.join('.')}` : '') +
          (v.build.length ? `+${v.build.join('.')}` : '');
        expect(rebuilt).toBe(raw);
      }),
    );
  });

  it('compareVersions is reflexive and antisymmetric', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(compareVersions(a, a)).toBe(0);
        expect(Math.sign(compareVersions(a, b))).toBe(-Math.sign(compareVersions(b, a)) || 0);
      }),
    );
  });

  it('compareVersions is transitive', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort(compareVersions) as [typeof a, typeof a, typeof a];
        expect(compareVersions(x, y)).toBeLessThanOrEqual(0);
        expect(compareVersions(y, z)).toBeLessThanOrEqual(0);
        expect(compareVersions(x, z)).toBeLessThanOrEqual(0);
        if (compareVersions(x, y) === 0 && compareVersions(y, z) === 0) {
          expect(compareVersions(x, z)).toBe(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a release sorts after each of its own pre-releases', () => {
    fc.assert(
      fc.property(version, (v) => {
        const release = parseVersion(`${v.major}.${v.minor}.${v.patch}`);
        expect(compareVersions(v, release)).toBe(isPrerelease(v) ? -1 : 0);
      }),
    );
  });

  it('versionProblem never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.anything()), (value) => {
        const problem = versionProblem(value);
        expect(problem === null || typeof problem === 'string').toBe(true);
      }),
    );
  });
});
