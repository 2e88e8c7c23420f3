import { describe, expect, it } from 'vitest';
import { findUnstorable, unstorableProblem } from '../../src/core/storable-text.js';

describe('text the database can store', () => {
  it.each([
    ['plain text', 'serde', null],
    ['an emoji (a surrogate pair)', 'ship \u{1F6A2}', null],
    ['other control characters', 'tab\there\u0001', null],
    ['NUL', 'a\u0000', 'NUL'],
    ['a lone high surrogate', 'a\ud83d', 'unpaired'],
    ['a lone low surrogate', '\ude80a', 'unpaired'],
    ['a reversed pair', '\ude80\ud83d', 'unpaired'],
  ])('%s', (_label, text, problem) => {
    const found = unstorableProblem(text);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toContain(problem);
  });

  it('names the first unstorable string of a JSON value by its path, keys included', () => {
    expect(findUnstorable({ a: [1, 'ok', { b: null }], c: 'fine' })).toBeNull();
    expect(findUnstorable({ a: [1, 'ok', { b: 'x\u0000' }] })).toMatch(/^`a\[2\]\.b` contains a NUL/);
    expect(findUnstorable({ deps: [{ features: { 'k\ud800': [] } }] })).toMatch(/^`deps\[0\]\.features` has a key that contains an unpaired/);
    expect(findUnstorable('\u0000')).toMatch(/^`\(the value\)` contains a NUL/);
  });

  it('walks a deeply nested body without exhausting the stack', () => {
    const deep = JSON.parse(`${'['.repeat(200_000)}"\\u0000"${']'.repeat(200_000)}`) as unknown;
    expect(findUnstorable(deep)).toContain('NUL');
  });
});
