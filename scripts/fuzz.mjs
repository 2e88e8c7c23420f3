#!/usr/bin/env node
// `npm run fuzz -- --seconds N [--seed S]`: the long fuzz campaign (test/fuzz/campaign.test.ts)
// through vitest, then a markdown table per target. Exit code 1 when any case broke a rule; every
// archive Wharf accepts is also compared with a model of cargo's unpacking (test/fuzz/agreement.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
}

const seconds = Number(option('seconds', '300'));
const seed = Number(option('seed', String(Date.now() % 1_000_000)));
if (!Number.isFinite(seconds) || seconds <= 0) {
  console.error('usage: npm run fuzz -- --seconds N [--seed S]');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'wharf-fuzz-'));
const report = join(dir, 'report.json');
console.log(`fuzzing for ${seconds} s with seed ${seed} (re-run the same cases with --seed ${seed})`);
const result = spawnSync('npx', ['vitest', 'run', 'test/fuzz/campaign.test.ts'], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, FUZZ_SECONDS: String(seconds), FUZZ_SEED: String(seed), FUZZ_REPORT: report },
});
if (!existsSync(report)) {
  console.error('the campaign did not finish (see the output above)');
  process.exit(1);
}
const { stats } = JSON.parse(readFileSync(report, 'utf8'));
rmSync(dir, { recursive: true, force: true });
console.log('\n| target | cases | rejections (4xx) | accepted | 5xx | hangs | leaks | archives compared with cargo | disagreements | unsendable | max RSS (MB) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const s of stats) {
  console.log(`| ${s.target} | ${s.cases} | ${s.rejections} | ${s.accepted} | ${s.errors5xx} | ${s.hangs} | ${s.leaks} | ${s.compared} | ${s.disagreements} | ${s.unsendable} | ${s.maxRssMb} |`);
}
const total = stats.reduce((n, s) => n + s.cases, 0);
const broken = stats.reduce((n, s) => n + s.errors5xx + s.hangs + s.leaks + s.disagreements, 0);
console.log(
  `\n${total} cases, seed ${seed}, ${seconds} s: ${broken} broke a rule (5xx, hang, a refused upload that stored something, or an accepted archive that cargo unpacks into other files than Wharf checked).`,
);
for (const s of stats) for (const f of s.failures) console.log(`- ${s.target}: ${f}`);
process.exit(broken > 0 || result.status !== 0 ? 1 : 0);
