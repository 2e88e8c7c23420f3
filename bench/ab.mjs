#!/usr/bin/env node
// Before/after for a change to the read path: two compiled builds of Wharf serve the same
// registry, and wrk measures them alternately (so background load hits both alike).
// usage: node bench/ab.mjs --base DIR [--new DIR] [--scenario gzip|identity|auth|304|auth304|download|authdownload] [--rounds N] [--seconds N]
// Build a "before" with: npx tsc -p tsconfig.build.json --outDir bench/.build/base (from the old source).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { crateFile, dep, indexPath, publish, publishBody } from './lib/crates.mjs';
import { createUserAndToken, WharfServer } from './lib/servers.mjs';
import { BUILD_DIR } from './lib/tools.mjs';
import { cpuSeconds, httpGet, tempDir } from './lib/util.mjs';
import { wrk } from './lib/wrk.mjs';

const { values: a } = parseArgs({
  options: {
    base: { type: 'string' },
    new: { type: 'string', default: BUILD_DIR },
    scenario: { type: 'string', default: 'gzip' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    'log-level': { type: 'string' },
  },
});
if (!a.base) throw new Error('--base DIR is required');
const auth = a.scenario.startsWith('auth');
const download = a.scenario.endsWith('download');
const dataDir = tempDir('ab');
// The older build sets the database up: the newer one may add migrations the older does not know.
const token = await createUserAndToken(resolve(a.base), dataDir, 'bench');
const env = { ...(auth ? { WHARF_AUTH_REQUIRED: 'true' } : {}), ...(a['log-level'] ? { WHARF_LOG_LEVEL: a['log-level'] } : {}) };
const servers = {
  base: await new WharfServer({ build: resolve(a.base), dataDir, cpu: 1, env, label: 'base' }).start(),
  new: await new WharfServer({ build: resolve(a.new), dataDir, cpu: 1, env, label: 'new' }).start(),
};
try {
  const deps = ['ab-dep-a', 'ab-dep-b', 'ab-dep-c'];
  for (const name of deps) await publish(servers.new.url, token, publishBody({ name, vers: '1.0.0' }, crateFile({ name, vers: '1.0.0' })));
  for (let i = 0; i < 50; i++) {
    const spec = { name: 'ab-crate', vers: `1.${i}.0`, deps: deps.map((d) => dep(d, '^1.0')), features: { default: ['std'], std: [] } };
    await publish(servers.new.url, token, publishBody(spec, crateFile(spec)));
  }
  // A download: a 20 KB .crate (incompressible padding), as in the downloads suite.
  const dlSpec = { name: 'ab-download', vers: '1.0.0' };
  await publish(servers.new.url, token, publishBody(dlSpec, crateFile(dlSpec, { padBytes: 20_000 })));
  const path = download ? '/api/v1/crates/ab-download/1.0.0/download' : `/index/${indexPath('ab-crate')}`;
  const headers = { 'accept-encoding': a.scenario === 'identity' ? 'identity' : 'gzip', ...(auth ? { authorization: token } : {}) };
  if (a.scenario.endsWith('304')) headers['if-none-match'] = (await httpGet(servers.new.url + path, headers)).headers.etag;
  const results = { base: [], new: [] };
  for (const side of ['base', 'new']) await wrk(servers[side].url + path, { headers, seconds: 2, cpu: 0 });
  for (let r = 0; r < Number(a.rounds); r++) {
    for (const side of r % 2 === 0 ? ['base', 'new'] : ['new', 'base']) {
      const cpu0 = cpuSeconds(servers[side].workerPid);
      const res = await wrk(servers[side].url + path, { headers, seconds: Number(a.seconds), cpu: 0 });
      res.perCpuSecond = res.total / (cpuSeconds(servers[side].workerPid) - cpu0);
      results[side].push(res);
      process.stderr.write(`round ${r + 1} ${side}: ${Math.round(res.rps)} req/s p99 ${res.p99} ms, ${Math.round(res.perCpuSecond)} req per server CPU-second\n`);
    }
  }
  const best = (l, k = 'rps') => Math.max(...l.map((x) => x[k]));
  const ratios = results.new.map((x, i) => (x.rps / results.base[i].rps).toFixed(2));
  const eff = (best(results.new, 'perCpuSecond') / best(results.base, 'perCpuSecond')).toFixed(2);
  console.log(
    `${a.scenario}: base best ${Math.round(best(results.base))} req/s, new best ${Math.round(best(results.new))} req/s, new/base ${(best(results.new) / best(results.base)).toFixed(2)} (per round ${ratios.join(' / ')}); per server CPU-second ${Math.round(best(results.base, 'perCpuSecond'))} -> ${Math.round(best(results.new, 'perCpuSecond'))} (${eff}x)`,
  );
} finally {
  await servers.base.stop();
  await servers.new.stop();
}
