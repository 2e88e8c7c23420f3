import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { parseVersion } from '../../src/core/semver.js';
import {
  MAX_COMPARATORS,
  MAX_REQ_LENGTH,
  parseVersionReq,
  reqMatches,
  reqProblem,
  type Comparator,
} from '../../src/core/version-req.js';

const cmp = (op: Comparator['op'], major: number, minor: number | null = null, patch: number | null = null, pre: string[] = []): Comparator =>
  ({ op, major, minor, patch, pre });

describe('parseVersionReq accepts what cargo accepts', () => {
  it.each<[string, Comparator[]]>([
    ['^1.2.3', [cmp('^', 1, 2, 3)]],
    ['1.2.3', [cmp('^', 1, 2, 3)]],
    ['~1', [cmp('~', 1)]],
    ['~1.2', [cmp('~', 1, 2)]],
    ['>=1.2, <2', [cmp('>=', 1, 2), cmp('<', 2)]],
    ['>=1.2,<2', [cmp('>=', 1, 2), cmp('<', 2)]],
    ['  >= 1.2 ,  < 2  ', [cmp('>=', 1, 2), cmp('<', 2)]],
    ['*', []],
    ['x', []],
    [' X ', []],
    ['1.*', [cmp('*', 1)]],
    ['1.2.x', [cmp('*', 1, 2)]],
    ['1.X.*', [cmp('*', 1)]],
    ['~1.*', [cmp('~', 1)]],
    ['>=1.*', [cmp('>=', 1)]],
    ['=1.2.3-alpha.1', [cmp('=', 1, 2, 3, ['alpha', '1'])]],
    ['1.2.3+build', [cmp('^', 1, 2, 3)]],
    ['=1.2.3-rc.1+build.5', [cmp('=', 1, 2, 3, ['rc', '1'])]],
    ['<=0.0.1', [cmp('<=', 0, 0, 1)]],
    ['>0', [cmp('>', 0)]],
    ['0.0.0', [cmp('^', 0, 0, 0)]],
    [`=${Number.MAX_SAFE_INTEGER}`, [cmp('=', Number.MAX_SAFE_INTEGER)]],
  ])('%j', (req, expected) => {
    expect(reqProblem(req)).toBeNull();
    expect(parseVersionReq(req)).toEqual(expected);
  });

  it(`accepts exactly ${MAX_COMPARATORS} comparators`, () => {
    const req = Array.from({ length: MAX_COMPARATORS }, () => '>=1').join(', ');
    expect(parseVersionReq(req)).toHaveLength(MAX_COMPARATORS);
    expect(reqProblem(`${req}, <2`)).toMatch(/too many comparators \(33, max 32\)/);
  });
});

describe('parseVersionReq rejects', () => {
  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['>= 1.2 < 2', /expected `,` between comparators, found `<`/],
    ['1.2 3', /expected `,`/],
    ['1.*.3', /wildcard cannot be followed by a version number/],
    ['1.x.0', /wildcard cannot be followed/],
    ['^', /operator `\^` has no version/],
    ['>=', /operator `>=` has no version/],
    ['>=*', /cannot be a wildcard/],
    ['=x', /cannot be a wildcard/],
    ['*.1', /cannot be a wildcard/],
    ['*, 1', /must be the only comparator/],
    ['1, *', /must be the only comparator/],
    ['1.2.3.4', /more than three version parts/],
    ['abc', /unexpected character `a` in the major version/],
    ['v1', /unexpected character `v`/],
    ['01.2', /major version `01` has a leading zero/],
    ['1.02', /minor version `02` has a leading zero/],
    ['==1', /unexpected character `=`/],
    ['=>1', /unexpected character `>`/],
    ['1.2-alpha', /pre-release needs a full MAJOR\.MINOR\.PATCH/],
    ['1.*-alpha', /pre-release needs a full/],
    ['1.2+build', /build metadata needs a full/],
    ['1.2.3-', /empty identifier in the pre-release/],
    ['1.2.3-01', /leading zero/],
    ['1.2.3+', /empty identifier in the build/],
    ['1.0,', /empty comparator/],
    [', 1.0', /empty comparator/],
    ['1.0,,2.0', /empty comparator/],
    ['\t1.0', /unexpected character `\t`/],
    ['1.0 || 2.0', /expected `,`/],
    [`=${Number.MAX_SAFE_INTEGER + 1}`, /too large/],
  ])('%j', (req, why) => {
    const problem = reqProblem(req);
    expect(problem).toMatch(/^invalid version requirement `/);
    expect(problem).toMatch(why);
    expect(() => parseVersionReq(req)).toThrow(AppError);
  });

  it('bounds the length', () => {
    const long = `>=1.0.0-${'a'.repeat(MAX_REQ_LENGTH - 8)}`;
    expect(long).toHaveLength(MAX_REQ_LENGTH);
    expect(reqProblem(long)).toBeNull();
    expect(reqProblem(`${long}b`)).toMatch(/too long \(1025 characters, max 1024\)/);
  });

  it.each([[1], [null], [undefined], [['1.0']]])('non-string %j', (value) => {
    expect(reqProblem(value)).toBe('the version requirement must be a string');
  });
});

describe('reqMatches follows cargo', () => {
  it.each([
    // caret, the default
    ['1.2.3', ['1.2.3', '1.2.4', '1.9.0'], ['1.2.2', '2.0.0', '1.3.0-alpha', '0.9.0']],
    ['^1.2', ['1.2.0', '1.5.7'], ['1.1.9', '2.0.0']],
    ['^1', ['1.0.0', '1.99.0'], ['0.9.0', '2.0.0']],
    ['^0.2.3', ['0.2.3', '0.2.9'], ['0.3.0', '0.2.2']],
    ['^0.2', ['0.2.0', '0.2.9'], ['0.3.0', '0.1.9']],
    ['^0.0.3', ['0.0.3'], ['0.0.4', '0.0.2']],
    ['^0.0', ['0.0.0', '0.0.9'], ['0.1.0']],
    ['^0', ['0.0.0', '0.9.9'], ['1.0.0']],
    // tilde
    ['~1.2.3', ['1.2.3', '1.2.9'], ['1.3.0', '1.2.2']],
    ['~1.2', ['1.2.0', '1.2.9'], ['1.3.0', '1.1.0']],
    ['~1', ['1.0.0', '1.9.9'], ['2.0.0', '0.9.0']],
    // wildcards
    ['*', ['0.0.0', '1.2.3', '99.0.0'], ['1.0.0-alpha']],
    ['1.*', ['1.0.0', '1.9.9'], ['2.0.0', '0.1.0']],
    ['1.2.*', ['1.2.0', '1.2.9'], ['1.3.0']],
    // comparisons with partial versions
    ['>1', ['2.0.0'], ['1.9.9', '1.0.0']],
    ['>1.2', ['1.3.0'], ['1.2.9']],
    ['>=1.2', ['1.2.0', '3.0.0'], ['1.1.9']],
    ['<1.2', ['1.1.9'], ['1.2.0']],
    ['<=1.2', ['1.2.9', '0.1.0'], ['1.3.0']],
    ['=1.2', ['1.2.0', '1.2.7'], ['1.3.0']],
    ['>=1.2, <1.5', ['1.2.0', '1.4.9'], ['1.5.0', '1.1.0']],
    // pre-releases only match a comparator that names one with the same MAJOR.MINOR.PATCH
    ['^1.2.3-alpha', ['1.2.3-alpha', '1.2.3-beta', '1.2.3', '1.9.0'], ['1.2.4-alpha', '1.2.3-0']],
    ['=1.2.3-alpha.1', ['1.2.3-alpha.1', '1.2.3-alpha.1+b'], ['1.2.3-alpha.2', '1.2.3']],
    ['>=1.0.0-rc.1, <2', ['1.0.0-rc.1', '1.0.0-rc.2', '1.5.0'], ['1.0.0-beta', '1.5.0-rc.1']],
    ['<1.2.3-beta', ['1.2.2', '1.2.3-alpha'], ['1.2.3-beta', '1.2.3', '1.2.2-alpha']],
    ['>1.2.3', ['1.2.4'], ['1.2.3', '1.2.4-alpha']],
  ])('%s', (req, yes, no) => {
    const comparators = parseVersionReq(req);
    for (const v of yes) expect(reqMatches(comparators, parseVersion(v)), `${req} matches ${v}`).toBe(true);
    for (const v of no) expect(reqMatches(comparators, parseVersion(v)), `${req} rejects ${v}`).toBe(false);
  });
});

const num = fc.nat({ max: 20 });
const pre = fc.array(fc.oneof(fc.nat({ max: 9 }).map(String), fc.constantFrom('alpha', 'beta', 'rc')), {
  minLength: 1,
  maxLength: 2,
});
const fullVersion = fc
  .tuple(num, num, num, fc.option(pre))
  .map(([a, b, c, p]) => `${a}.${b}.${c}${p ? `-${p.join('.')}` : ''}`);
const part = fc.oneof(num.map(String), fc.constantFrom('*', 'x', 'X'));
const partialVersion = fc.oneof(
  fullVersion,
  num.map(String),
  fc.tuple(num, part).map(([a, b]) => `${a}.${b}`),
  fc.tuple(num, num, part).map(([a, b, c]) => `${a}.${b}.${c}`),
  fc.tuple(num, fc.constantFrom('*', 'x')).map(([a, w]) => `${a}.${w}.${w}`),
);
const op = fc.constantFrom('', '=', '>', '>=', '<', '<=', '~', '^');
const comparatorText = fc
  .tuple(op, fc.constantFrom('', ' '), partialVersion)
  .map(([o, space, v]) => (o ? `${o}${space}${v}` : v));
const requirement = fc
  .array(comparatorText, { minLength: 1, maxLength: MAX_COMPARATORS })
  .chain((parts) => fc.constantFrom(', ', ',', ' , ').map((sep) => parts.join(sep)));

describe('properties', () => {
  it('every generated requirement parses, one comparator per piece', () => {
    fc.assert(
      fc.property(requirement, (req) => {
        expect(reqProblem(req)).toBeNull();
        expect(parseVersionReq(req)).toHaveLength(req.split(',').length);
      }),
    );
  });

  it('a version matches its own =, ^, ~, >= and <= requirements', () => {
    fc.assert(
      fc.property(fullVersion, (raw) => {
        const v = parseVersion(raw);
        for (const o of ['=', '^', '~', '>=', '<=', '']) {
          expect(reqMatches(parseVersionReq(`${o}${raw}`), v), `${o}${raw}`).toBe(true);
        }
        expect(reqMatches(parseVersionReq(`>${raw}`), v)).toBe(false);
        expect(reqMatches(parseVersionReq(`<${raw}`), v)).toBe(false);
      }),
    );
  });

  it('reqProblem never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.anything()), (value) => {
        const problem = reqProblem(value);
        expect(problem === null || typeof problem === 'string').toBe(true);
      }),
    );
  });
});
