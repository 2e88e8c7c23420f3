import fc from 'fast-check';
import { publishBody } from '../helpers/crate-builder.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { Fuzzer } from './harness.js';
import type { FuzzCase } from './harness.js';

/** Limits of the fuzzed registries: room for a 100,000-entry crate, small enough that bombs stop quickly. */
export const FUZZ_LIMITS = { maxCrateSize: 10 * 1024 * 1024, maxUnpackedSize: 160 * 1024 * 1024 };

export interface FuzzApps {
  /** Takes the publish targets. */
  publish: { t: TestApp; fuzzer: Fuzzer };
  /** Open registry with one crate, `fuzzed@0.0.0`, for reads. */
  open: { t: TestApp; fuzzer: Fuzzer };
  /** A private registry (auth_required) with the same crate. */
  closed: { t: TestApp; fuzzer: Fuzzer };
  close(): Promise<void>;
}

async function app(overrides: Parameters<typeof createTestApp>[0], seedCrate: boolean): Promise<{ t: TestApp; fuzzer: Fuzzer }> {
  // Fuzzing writes thousands of refusals; the log would only slow it down.
  const t = await createTestApp({ ...FUZZ_LIMITS, logLevel: 'silent', rateLimitNewCrates: null, rateLimitNewVersions: null, rateLimitYanks: null, ...overrides });
  const { token } = await t.userWithToken('fuzzer');
  if (seedCrate) {
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name: 'fuzzed', vers: '0.0.0' }), headers: { authorization: token } });
    if (res.statusCode !== 200) throw new Error(`seeding the read registry failed: ${res.body}`);
  }
  return { t, fuzzer: new Fuzzer(t, token) };
}

export async function createFuzzApps(): Promise<FuzzApps> {
  const publish = await app({}, false);
  const open = await app({}, true);
  const closed = await app({ authRequired: true }, true);
  return {
    publish,
    open,
    closed,
    async close() {
      await Promise.all([publish.t.close(), open.t.close(), closed.t.close()]);
    },
  };
}

/** Runs `runs` cases of one target, generated from `seed`, one after another. */
export async function fuzzTarget(fuzzer: Fuzzer, target: string, cases: fc.Arbitrary<FuzzCase>, seed: number, runs: number): Promise<void> {
  for (const c of fc.sample(cases, { seed, numRuns: runs })) await fuzzer.run(target, c);
}
