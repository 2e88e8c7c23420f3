import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalCrateName } from '../../src/core/crate-name.js';
import {
  ALL_CRATES,
  anyPatternMatches,
  ENDPOINT_SCOPES,
  isEndpointScope,
  parseCratePatterns,
  parseScopes,
  patternMatches,
  patternProblem,
} from '../../src/core/scopes.js';

const crateName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/);
/** Names from a tiny alphabet, so that two of them are often the same crate spelled differently. */
const lookalikeName = fc.stringMatching(/^[aAbB][aAbB_-]{0,3}$/);

describe('parseScopes', () => {
  it.each<[string | string[], string[]]>([
    ['publish-new', ['publish-new']],
    ['yank,publish-update', ['publish-update', 'yank']],
    [' yank , read ', ['read', 'yank']],
    ['yank,,read,', ['read', 'yank']],
    ['yank,yank,read,yank', ['read', 'yank']],
    [['change-owners', 'publish-new'], ['change-owners', 'publish-new']],
    [['read', ' read '], ['read']],
    [ENDPOINT_SCOPES.join(','), [...ENDPOINT_SCOPES].sort()],
  ])('%j -> %j', (list, scopes) => {
    expect(parseScopes(list)).toEqual(scopes);
  });

  it.each<[string | string[], string[]]>([
    ['publish', ['publish']],
    ['yank,publish,owners', ['publish', 'owners']],
    ['YANK', ['YANK']],
    ['publish_new', ['publish_new']],
    [['read', 'write'], ['write']],
  ])('refuses %j, naming %j', (list, unknown) => {
    let message = '';
    try {
      parseScopes(list);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^unknown scope /);
    for (const name of unknown) expect(message).toContain(`\`${name}\``);
    expect(message).not.toContain('`yank`');
    // The message also says what would have been accepted.
    for (const known of ENDPOINT_SCOPES) expect(message).toContain(known);
  });

  it.each<[string | string[]]>([[''], [' '], [','], [' , ,'], [[]], [['', ' ']]])('refuses the empty list %j', (list) => {
    expect(() => parseScopes(list)).toThrow('a token needs at least one scope');
  });

  it('every known scope is one, and parsing any subset returns it sorted without duplicates', () => {
    for (const s of ENDPOINT_SCOPES) expect(isEndpointScope(s)).toBe(true);
    expect(isEndpointScope('admin')).toBe(false);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ENDPOINT_SCOPES), { minLength: 1, maxLength: 12 }), (picked) => {
        expect(parseScopes(picked.join(','))).toEqual([...new Set(picked)].sort());
      }),
    );
  });
});

describe('patternProblem', () => {
  it.each([
    'foo',
    'Foo-Bar_2',
    'a',
    'foo*',
    'f*',
    'foo-*',
    'foo_*',
    '*',
    'a'.repeat(64),
    `${'a'.repeat(64)}*`,
  ])('accepts %j', (pattern) => {
    expect(patternProblem(pattern)).toBeNull();
  });

  it.each([
    '',
    '*foo',
    'fo*o',
    'foo**',
    '**',
    '*-',
    '1foo',
    '_foo*',
    'foo bar',
    'foo.*',
    'foo?',
    'a'.repeat(65),
    `${'a'.repeat(65)}*`,
  ])('refuses %j', (pattern) => {
    expect(patternProblem(pattern)).toBe(
      `invalid crate pattern \`${pattern}\`: use a crate name or a prefix ending in *`,
    );
  });

  it('accepts every crate name, and every crate name followed by *', () => {
    fc.assert(
      fc.property(crateName, (name) => {
        expect(patternProblem(name)).toBeNull();
        expect(patternProblem(`${name}*`)).toBeNull();
      }),
    );
  });
});

describe('parseCratePatterns', () => {
  it.each<[string | string[], string[]]>([
    ['foo', ['foo']],
    ['*', ['*']],
    ['foo, bar*', ['foo', 'bar*']],
    ['foo,,foo,bar', ['foo', 'bar']],
    [['serde*', ' tokio '], ['serde*', 'tokio']],
  ])('%j -> %j', (list, patterns) => {
    expect(parseCratePatterns(list)).toEqual(patterns);
  });

  it.each<[string | string[]]>([[''], [' , '], [[]]])('refuses the empty list %j', (list) => {
    expect(() => parseCratePatterns(list)).toThrow('a token needs at least one crate pattern (use * for every crate)');
  });

  it.each([
    ['foo,*foo', '*foo'],
    ['fo*o', 'fo*o'],
    ['ok*, foo**', 'foo**'],
  ])('refuses %j, naming %j', (list, bad) => {
    expect(() => parseCratePatterns(list)).toThrow(`invalid crate pattern \`${bad}\``);
  });

  it('refuses more than 100 patterns', () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `crate${i}`);
    expect(parseCratePatterns(names(100))).toHaveLength(100);
    expect(() => parseCratePatterns(names(101))).toThrow('at most 100 crate patterns');
  });

  it(`ALL_CRATES is ${ALL_CRATES}`, () => {
    expect(ALL_CRATES).toBe('*');
    expect(parseCratePatterns(ALL_CRATES)).toEqual(['*']);
  });
});

describe('patternMatches', () => {
  it.each<[string, string, boolean]>([
    ['foo*', 'foo', true],
    ['foo*', 'foobar', true],
    ['foo*', 'foo-bar', true],
    ['foo*', 'FOO-bar', true],
    ['FOO*', 'foobar', true],
    ['foo-*', 'foo_bar', true],
    ['foo_*', 'foo-bar', true],
    ['foo-*', 'foo', false],
    ['foo-*', 'foobar', false],
    ['foo*', 'fo', false],
    ['foo*', 'bar', false],
    ['foo*', 'afoo', false],
    ['foo*', 'f-oo', false],
    ['*', 'anything', true],
    ['*', 'A', true],
    ['foo-bar', 'foo-bar', true],
    ['foo-bar', 'foo_bar', true],
    ['foo-bar', 'FOO_BAR', true],
    ['Foo_Bar', 'foo-bar', true],
    ['foo-bar', 'foo-bar2', false],
    ['foo-bar', 'foo', false],
    ['foo-bar', 'foobar', false],
    ['foo', 'foo*', false],
  ])('%j against %j -> %s', (pattern, name, expected) => {
    expect(patternMatches(pattern, name)).toBe(expected);
  });

  it('for any crate name n, `n*` and `*` match n', () => {
    fc.assert(
      fc.property(crateName, (n) => {
        expect(patternMatches(`${n}*`, n)).toBe(true);
        expect(patternMatches('*', n)).toBe(true);
        expect(patternMatches(n, n)).toBe(true);
      }),
    );
  });

  it('an exact pattern p matches n iff their canonical forms are equal', () => {
    fc.assert(
      fc.property(lookalikeName, lookalikeName, (p, n) => {
        expect(patternMatches(p, n)).toBe(canonicalCrateName(p) === canonicalCrateName(n));
      }),
      { numRuns: 1_000 },
    );
  });

  it('a prefix pattern p* matches n iff canonical n starts with canonical p', () => {
    fc.assert(
      fc.property(lookalikeName, lookalikeName, (p, n) => {
        expect(patternMatches(`${p}*`, n)).toBe(canonicalCrateName(n).startsWith(canonicalCrateName(p)));
      }),
      { numRuns: 1_000 },
    );
  });

  it('anyPatternMatches is true iff one of the patterns matches', () => {
    expect(anyPatternMatches(['bar', 'foo*'], 'Foo-Utils')).toBe(true);
    expect(anyPatternMatches(['bar', 'foo*'], 'baz')).toBe(false);
    expect(anyPatternMatches([], 'foo')).toBe(false);
    fc.assert(
      fc.property(fc.array(fc.oneof(lookalikeName, lookalikeName.map((p) => `${p}*`)), { maxLength: 4 }), lookalikeName, (patterns, n) => {
        expect(anyPatternMatches(patterns, n)).toBe(patterns.some((p) => patternMatches(p, n)));
      }),
    );
  });
});
