#!/usr/bin/env node
// `npm run bench`: Wharf side by side with nginx and Verdaccio, and its own publish, search and
// memory numbers. Prints a markdown table on stdout (progress goes to stderr) and writes every
// measurement as JSON under bench/results/. See bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus as osCpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { printTable } from './lib/report.mjs';
import { BENCH_DIR, buildWharf, BUILD_DIR, ensureSystemTools, ensureVerdaccio } from './lib/tools.mjs';
import { removeTempDirs, say } from './lib/util.mjs';
import { clusterSuite } from './suites/cluster.mjs';
import { downloadsSuite } from './suites/downloads.mjs';
import { e2eSuite } from './suites/e2e.mjs';
import { indexSuite } from './suites/index.mjs';
import { mirrorSuite } from './suites/mirror.mjs';
import { publishSuite } from './suites/publish.mjs';
import { rssSuite, searchSuite } from './suites/search.mjs';
import { staticSuite } from './suites/static.mjs';

const SUITES = { index: indexSuite, downloads: downloadsSuite, e2e: e2eSuite, mirror: mirrorSuite, publish: publishSuite, search: searchSuite, rss: rssSuite, static: staticSuite, cluster: clusterSuite };

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    connections: { type: 'string', default: '32' },
    'no-pin': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'log-level': { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  process.stdout.write(`usage: npm run bench -- [options]
  --only index,downloads,e2e,mirror,publish,search,rss,static,cluster   run some suites (default: all)
                                        (cluster: WHARF_BENCH_STORAGE=fs|s3, WHARF_BENCH_PG=postgres://...)
  --quick                               short smoke run (1 round, 2 s wrk runs, small registries)
  --rounds N                            alternating rounds per comparison (default 3, quick 1)
  --seconds N                           length of each wrk run (default 10, quick 2)
  --connections N                       wrk keep-alive connections (default 32)
  --no-pin                              do not pin servers to CPU 1 and clients to CPU 0
  --no-build                            reuse bench/.build/dist as it is
  --profile                             write V8 CPU profiles of the Wharf servers to bench/results/profiles/
  --log-level L                         run Wharf with WHARF_LOG_LEVEL=L (default: Wharf's default, info)
  --keep                                keep the temporary registries and server logs (their paths are in the progress output)
`);
  process.exit(0);
}

const only = args.only ? args.only.split(',').map((s) => s.trim()) : Object.keys(SUITES);
for (const name of only) if (!SUITES[name]) throw new Error(`unknown suite ${name}; pick from ${Object.keys(SUITES).join(', ')}`);
const quick = args.quick;
const opts = {
  quick,
  rounds: Number(args.rounds ?? (quick ? 1 : 3)),
  seconds: Number(args.seconds ?? (quick ? 2 : 10)),
  connections: Number(args.connections),
};

const tools = await ensureSystemTools();
const nCpu = osCpus().length;
const pin = !args['no-pin'] && tools.taskset && nCpu >= 2;
const cpus = pin ? { server: 1, client: 0 } : { server: null, client: null };
const build = args['no-build'] ? BUILD_DIR : await buildWharf();
const verdaccioBin = only.includes('index') ? await ensureVerdaccio() : null;
const resultsDir = join(BENCH_DIR, 'results');
const profileDir = args.profile ? join(resultsDir, 'profiles') : null;
if (profileDir) mkdirSync(profileDir, { recursive: true });
const wharfEnv = args['log-level'] ? { WHARF_LOG_LEVEL: args['log-level'] } : {};

const records = [];
const notes = {};
const shared = {};
const ctx = {
  build,
  tools,
  opts,
  cpus,
  verdaccioBin,
  profileDir,
  wharfEnv,
  shared,
  record: (r) => records.push(r),
  note: (suite, data) => (notes[suite] = { ...notes[suite], ...data }),
};

const started = new Date();
for (const name of only) {
  say(`== suite ${name}`);
  const t0 = Date.now();
  try {
    await SUITES[name](ctx);
  } catch (err) {
    say(`suite ${name} failed: ${err.stack ?? err}`);
    records.push({ id: name, suite: name, what: `${name}: FAILED (${String(err.message ?? err).split('\n')[0]})`, row: { wharf: '', met: false } });
  }
  notes[name] = { ...notes[name], seconds: (Date.now() - t0) / 1000 };
}

const meta = {
  date: started.toISOString(),
  machine: `${nCpu} CPUs (${osCpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${tools.nginxVersion}, ${tools.wrkVersion.split(' Copyright')[0]}`,
  settings: `wrk -t1 -c${opts.connections} -d${opts.seconds}s, ${opts.rounds} round(s) best-of; ${pin ? 'servers pinned to CPU 1, clients to CPU 0' : 'no CPU pinning'}; Wharf log level ${args['log-level'] ?? 'info (default)'}${quick ? '; QUICK smoke run' : ''}`,
};
const table = printTable(records, meta);
process.stdout.write(table + '\n');
mkdirSync(resultsDir, { recursive: true });
const file = join(resultsDir, `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ meta, options: opts, suites: only, records, notes, table }, null, 2) + '\n');
say(`results written to ${file}`);
if (!args.keep) removeTempDirs();
if (records.some((r) => r.what.includes('FAILED'))) process.exitCode = 1;
