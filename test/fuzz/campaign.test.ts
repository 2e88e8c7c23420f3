import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFuzzApps, type FuzzApps } from './fuzz-setup.js';
import { TARGETS } from './generators.js';
import { type Fuzzer, statsTable } from './harness.js';

/**
 * The long campaign behind `npm run fuzz -- --seconds N [--seed S]`: every target in turn, in
 * batches of fresh seeds, until the time is up. Skipped in `npm test`, which runs fixed slices.
 */
const seconds = Number(process.env.FUZZ_SECONDS ?? 0);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
const BATCH = 25;

describe.runIf(seconds > 0)(`fuzz campaign (${seconds} s, seed ${seed})`, () => {
  let apps: FuzzApps;
  beforeAll(async () => {
    apps = await createFuzzApps();
  });
  afterAll(() => apps.close());

  it('breaks no rule', async () => {
    const plan: Array<{ name: string; fuzzer: Fuzzer; cases: (typeof TARGETS)[number]['cases'] }> = TARGETS.map((t) => ({
      name: t.name,
      fuzzer: ['index paths', 'query strings'].includes(t.name) ? apps.open.fuzzer : t.name === 'Authorization/Cookie' ? apps.open.fuzzer : apps.publish.fuzzer,
      cases: t.cases,
    }));
    const headers = TARGETS.find((t) => t.name === 'Authorization/Cookie')!;
    plan.push({ name: 'Authorization/Cookie (private registry)', fuzzer: apps.closed.fuzzer, cases: headers.cases });
    plan.push({ name: 'index paths (private registry)', fuzzer: apps.closed.fuzzer, cases: TARGETS.find((t) => t.name === 'index paths')!.cases });

    const deadline = Date.now() + seconds * 1000;
    let batch = 0;
    while (Date.now() < deadline) {
      for (const target of plan) {
        if (Date.now() >= deadline) break;
        const batchSeed = seed + batch;
        for (const c of fc.sample(target.cases, { seed: batchSeed, numRuns: BATCH })) {
          const ok = await target.fuzzer.run(target.name, c);
          if (!ok) process.stderr.write(`rule broken (target ${target.name}, batch seed ${batchSeed}): ${c.label.slice(0, 200)}\n`);
        }
      }
      batch += 1;
    }
    const stats = [apps.publish.fuzzer, apps.open.fuzzer, apps.closed.fuzzer].flatMap((f) => [...f.stats.values()]);
    const table = statsTable(stats);
    if (process.env.FUZZ_REPORT) writeFileSync(process.env.FUZZ_REPORT, JSON.stringify({ seed, seconds, stats }, null, 1));
    else console.log(table);
    expect(stats.flatMap((s) => s.failures)).toEqual([]);
  }, (seconds + 120) * 1000);
});
