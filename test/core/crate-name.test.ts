import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalCrateName, crateNameProblem, MAX_NAME_LENGTH } from '../../src/core/crate-name.js';

const RESERVED = [
  'std', 'core', 'alloc', 'proc_macro', 'test', 'con', 'prn', 'aux', 'nul',
  ...Array.from({ length: 10 }, (_, i) => `com${i}`),
  ...Array.from({ length: 10 }, (_, i) => `lpt${i}`),
];

/** A name that looks valid: the shape crates.io accepts, before the reserved-word check. */
const wellShapedName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/);

describe('crateNameProblem accepts', () => {
  it.each([
    'a',
    'Z',
    'serde',
    'serde_json',
    'tokio-util',
    'Inflector',
    'a1',
    'x86_64',
    'trailing-',
    'trailing_',
    'a--b__c',
    'a'.repeat(MAX_NAME_LENGTH),
    // Near-misses of reserved words are ordinary names.
    'std2',
    'stdx',
    'core-foundation',
    'proc_macro2',
    'proc-macro-hack',
    'testing',
    'console',
    'auxv',
    'com10',
    'lpt10',
    'com',
    'lpt',
  ])('%j', (name) => {
    expect(crateNameProblem(name)).toBeNull();
  });

  it('any well-shaped name that is not reserved', () => {
    fc.assert(
      fc.property(wellShapedName, (name) => {
        fc.pre(!RESERVED.includes(canonicalCrateName(name)));
        expect(crateNameProblem(name)).toBeNull();
      }),
    );
  });
});

describe('crateNameProblem refuses', () => {
  it.each([
    ['', /empty/],
    ['1abc', /must start with an ASCII letter/],
    ['_foo', /must start with an ASCII letter/],
    ['-foo', /must start with an ASCII letter/],
    ['9', /must start with an ASCII letter/],
    ['éclair', /must start with an ASCII letter/],
    ['foo bar', /invalid character ` `/],
    ['foo.bar', /invalid character `\.`/],
    ['foo/bar', /invalid character `\/`/],
    ['foo+bar', /invalid character `\+`/],
    ['café', /invalid character `é`/],
    ['foo\n', /invalid character `\n`/],
    ['foo\u0000', /invalid character/],
    ['a'.repeat(MAX_NAME_LENGTH + 1), /too long \(max 64 characters\)/],
  ])('%j', (name, why) => {
    expect(crateNameProblem(name)).toMatch(why);
  });

  it('a name of 65 characters, even though 64 are fine', () => {
    expect(MAX_NAME_LENGTH).toBe(64);
    expect(crateNameProblem('b'.repeat(64))).toBeNull();
    expect(crateNameProblem('b'.repeat(65))).toMatch(/too long/);
  });

  it('does not echo an enormous name back whole', () => {
    const problem = crateNameProblem('x'.repeat(10_000));
    expect(problem).toMatch(/too long/);
    expect(problem!.length).toBeLessThan(200);
  });

  it.each([[undefined], [null], [42], [{}], [['serde']]])('non-string %j', (value) => {
    expect(crateNameProblem(value)).toBe('the crate name is empty');
  });

  it.each([
    ...RESERVED,
    // Any case.
    'STD', 'Core', 'ALLOC', 'Test', 'CON', 'Prn', 'aUx', 'NUL', 'COM1', 'Com9', 'LPT0', 'lPt5',
    // `-` and `_` are the same to cargo.
    'proc-macro', 'Proc-Macro', 'PROC_MACRO',
  ])('reserved %j', (name) => {
    expect(crateNameProblem(name)).toBe(`the crate name \`${name}\` is reserved`);
  });

  it('any name containing a character outside ASCII letters, digits, - and _', () => {
    const badChar = fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }).filter((c) => !/^[A-Za-z0-9_-]$/.test(c));
    fc.assert(
      fc.property(wellShapedName, badChar, fc.nat(), (name, c, at) => {
        const pos = 1 + (at % name.length); // after the first letter, so the start rule does not fire first
        const bad = name.slice(0, pos) + c + name.slice(pos);
        fc.pre(bad.length <= MAX_NAME_LENGTH);
        expect(crateNameProblem(bad)).toMatch(/invalid character/);
      }),
    );
  });
});

describe('canonicalCrateName', () => {
  it.each([
    ['foo_bar', 'foo_bar'],
    ['Foo-Bar', 'foo_bar'],
    ['FOO_BAR', 'foo_bar'],
    ['foo-bar', 'foo_bar'],
    ['a-b_c-d', 'a_b_c_d'],
    ['Serde', 'serde'],
    ['x86-64', 'x86_64'],
  ])('%j -> %j', (name, canonical) => {
    expect(canonicalCrateName(name)).toBe(canonical);
  });

  it('`Foo-Bar` and `foo_bar` collide; `foo-bar` and `foobar` do not', () => {
    expect(canonicalCrateName('Foo-Bar')).toBe(canonicalCrateName('foo_bar'));
    expect(canonicalCrateName('foo-bar')).not.toBe(canonicalCrateName('foobar'));
  });

  it('folds every spelling that differs only in case and -/_ to one form, and is idempotent', () => {
    const respell = (name: string, flips: readonly boolean[]) =>
      [...name]
        .map((c, i) => {
          if (!flips[i % flips.length]) return c;
          if (c === '-') return '_';
          if (c === '_') return '-';
          return c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
        })
        .join('');
    fc.assert(
      fc.property(wellShapedName, fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), (name, flips) => {
        const canonical = canonicalCrateName(name);
        expect(canonicalCrateName(respell(name, flips))).toBe(canonical);
        expect(canonicalCrateName(canonical)).toBe(canonical);
        expect(canonical).toMatch(/^[a-z][a-z0-9_]*$/);
      }),
    );
  });
});
