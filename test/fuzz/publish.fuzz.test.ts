import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishFrame } from '../helpers/crate-builder.js';
import { createFuzzApps, type FuzzApps, fuzzTarget } from './fuzz-setup.js';
import { crateCases, frameCases, manifestCases, manyEntries, metadataCases, tarNameCases } from './generators.js';
import type { TargetStats } from './harness.js';

/**
 * A fixed-seed slice of the publish fuzzing (`npm run fuzz` runs the long campaign): hostile
 * frames, metadata, archives and manifests never get a 5xx, never hang, and when refused leave
 * no crate, version or file behind; an archive the check accepts unpacks, in the model of cargo,
 * into exactly the files the check saw.
 */
describe('fuzzing PUT /api/v1/crates/new (fixed seeds)', () => {
  let apps: FuzzApps;
  beforeAll(async () => {
    apps = await createFuzzApps();
  });
  afterAll(() => apps.close());

  const clean = (s: TargetStats | undefined) => {
    expect(s, 'the target ran').toBeDefined();
    expect(s!.failures).toEqual([]);
    expect(s!.errors5xx + s!.hangs + s!.leaks + s!.disagreements).toBe(0);
  };

  it.each([
    ['publish frame', frameCases, 1, 120],
    ['metadata JSON', metadataCases, 2, 100],
    ['.crate archive', crateCases, 3, 120],
    ['tar names', tarNameCases, 5, 150],
    ['Cargo.toml', manifestCases, 4, 80],
  ] as const)('%s', async (target, cases, seed, runs) => {
    await fuzzTarget(apps.publish.fuzzer, target, cases, seed, runs);
    const stats = apps.publish.fuzzer.stats.get(target);
    clean(stats);
    // The generators must reach past the early refusals: some cases are refused, some accepted.
    expect(stats!.rejections).toBeGreaterThan(runs / 4);
    if (target !== 'Cargo.toml') expect(stats!.accepted).toBeGreaterThan(0);
    // Archives the check accepted were held against cargo's unpacking, not only refused ones counted.
    if (target === 'tar names') expect(stats!.compared).toBeGreaterThan(runs / 5);
  }, 60_000);

  it('refuses a crate of 100,001 entries without a 5xx, storing nothing, with memory bounded', async () => {
    const crate = manyEntries('fuzzed', '0.0.1', 100_001);
    // Measured from here: building the archive above is the test's memory, not the server's.
    const rssBefore = process.memoryUsage.rss();
    const meta = Buffer.from(JSON.stringify({ name: 'fuzzed', vers: '0.0.1', deps: [], features: {}, authors: [], description: null, license: 'MIT' }));
    const ok = await apps.publish.fuzzer.run('100k entries', { label: '100,001 entries', method: 'PUT', url: '/api/v1/crates/new', body: publishFrame(meta, crate), auth: true, publish: true });
    expect(ok).toBe(true);
    const s = apps.publish.fuzzer.stats.get('100k entries')!;
    expect(s.rejections).toBe(1);
    // Streaming inspection: the 100 MB tar is never held in memory.
    expect(process.memoryUsage.rss() - rssBefore).toBeLessThan(64 * 1024 * 1024);
  }, 60_000);
});
