import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFuzzApps, type FuzzApps, fuzzTarget } from './fuzz-setup.js';
import { headerCases, indexPathCases, queryCases } from './generators.js';
import type { Fuzzer } from './harness.js';

/**
 * A fixed-seed slice of the read-side fuzzing: index paths, query strings and hostile
 * Authorization and Cookie headers, on an open and on a private registry. Never a 5xx or a hang.
 */
describe('fuzzing reads and credentials (fixed seeds)', () => {
  let apps: FuzzApps;
  beforeAll(async () => {
    apps = await createFuzzApps();
  });
  afterAll(() => apps.close());

  const cases = { 'index paths': indexPathCases, 'query strings': queryCases, 'Authorization/Cookie': headerCases } as const;

  it.each([
    ['index paths', 'open', 11, 150],
    ['index paths', 'closed', 12, 100],
    ['query strings', 'open', 13, 150],
    ['Authorization/Cookie', 'open', 14, 150],
    ['Authorization/Cookie', 'closed', 15, 150],
  ] as const)('%s on the %s registry', async (target, which, seed, runs) => {
    const fuzzer: Fuzzer = apps[which].fuzzer;
    await fuzzTarget(fuzzer, target, cases[target], seed, runs);
    const s = fuzzer.stats.get(target)!;
    expect(s.failures).toEqual([]);
    expect(s.errors5xx + s.hangs).toBe(0);
    // Both answers occur, so the cases reach past the first check.
    expect(s.rejections).toBeGreaterThan(0);
    expect(s.accepted).toBeGreaterThan(0);
  }, 60_000);
});
