// Measurements 10a-10f: two and three Wharf instances behind nginx as a load balancer, on one
// PostgreSQL database, against one instance behind the same nginx: index reads, downloads and
// publishes per second.
//
// WHARF_BENCH_STORAGE picks where the crate files live: `fs` (default: one folder all instances
// share, which on one machine is simply a folder) or `s3` (a bucket on an s3rver started here,
// each instance with its own data folder, as the README's "Several instances" runs them; needs a
// build with `storage = "s3"`). WHARF_BENCH_PG names the PostgreSQL server (default
// postgres://postgres@127.0.0.1:5432/postgres); a database is created for the run and dropped.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { compareWrk, warm } from '../lib/compare.mjs';
import { crateFile, dep, indexPath, publish, publishBody } from '../lib/crates.mjs';
import { wrkRow } from '../lib/report.mjs';
import { NginxBalancer, WharfServer, wharfCli } from '../lib/servers.mjs';
import { fmt, freePort, say, tempDir } from '../lib/util.mjs';

const SIZES = [1, 2, 3];
const CLIENTS = 8;

async function createDatabase() {
  const admin = process.env.WHARF_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `wharf_bench_${Date.now()}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The storage settings of every instance, and what to stop afterwards. */
async function storage(build, kind) {
  if (kind === 'fs') return { env: {}, sharedDir: tempDir('cluster-data'), stop: async () => undefined };
  if (kind !== 's3') throw new Error(`WHARF_BENCH_STORAGE must be fs or s3, not ${kind}`);
  const sample = await wharfCli(build, tempDir('cluster-sample'), ['config', 'sample']);
  if (!/s3_bucket/.test(sample)) throw new Error('this build of Wharf has no `storage = "s3"`; run with WHARF_BENCH_STORAGE=fs');
  const { default: S3rver } = await import('s3rver');
  const port = await freePort();
  const dir = tempDir('cluster-s3');
  const server = new S3rver({ address: '127.0.0.1', port, silent: true, directory: dir, configureBuckets: [{ name: 'wharf-bench' }] });
  await server.run();
  return {
    env: {
      WHARF_STORAGE: 's3',
      WHARF_S3_BUCKET: 'wharf-bench',
      WHARF_S3_ENDPOINT: `http://127.0.0.1:${port}`,
      WHARF_S3_REGION: 'us-east-1',
      WHARF_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    },
    sharedDir: null,
    stop: () => server.close(),
  };
}

/** Publish bodies prepared before the clock starts: `count` 20 KB crates, a new crate every 5. */
function bodies(tag, count) {
  return Array.from({ length: count }, (_, k) => {
    const spec = { name: `cl-${tag}-${k % 40}`, vers: `1.0.${Math.floor(k / 40)}`, deps: [dep('cl-dep', '^1.0')], features: { default: [] } };
    return publishBody(spec, crateFile(spec, { padBytes: 19_000 }));
  });
}

/** `CLIENTS` clients publishing `list` between them, all at once; publishes per second. */
async function publishRate(url, token, list) {
  const queue = [...list];
  const t = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let body = queue.shift(); body; body = queue.shift()) await publish(url, token, body);
    }),
  );
  return list.length / ((performance.now() - t) / 1000);
}

export async function clusterSuite(ctx) {
  const { build, tools, opts, record } = ctx;
  // Not pinned: N instances pinned to one core could not show anything but their overhead.
  const bench = { rounds: opts.rounds, seconds: opts.seconds, connections: opts.connections, cpu: null };
  const kind = process.env.WHARF_BENCH_STORAGE ?? 'fs';
  // The storage first: a build that cannot run it stops the suite before a database is made.
  const store = await storage(build, kind);
  const db = await createDatabase().catch(async (err) => {
    await store.stop();
    throw err;
  });
  const instances = [];
  const balancers = new Map();
  try {
    const common = { ...ctx.wharfEnv, ...store.env, WHARF_DATABASE_URL: db.url, WHARF_CHANGE_POLL_MS: '250' };
    const firstDir = store.sharedDir ?? tempDir('cluster-wharf-0');
    await wharfCli(build, firstDir, ['migrate'], common);
    await wharfCli(build, firstDir, ['user', 'add', 'bench', '--admin'], common);
    const token = (await wharfCli(build, firstDir, ['token', 'create', 'bench', '--name', 'bench'], common)).trim().split('\n').at(-1).trim();
    for (let i = 0; i < Math.max(...SIZES); i++) {
      const dataDir = i === 0 ? firstDir : (store.sharedDir ?? tempDir(`cluster-wharf-${i}`));
      instances.push(await new WharfServer({ build, dataDir, label: `wharf-${i}`, env: common, profileDir: ctx.profileDir }).start());
    }
    for (const n of SIZES) {
      const dir = tempDir(`cluster-lb-${n}`);
      mkdirSync(dir, { recursive: true });
      balancers.set(n, await new NginxBalancer({ nginx: tools.nginx, dir, upstreams: instances.slice(0, n).map((s) => s.url) }).start());
    }
    say(`${instances.length} Wharf instances on PostgreSQL, storage ${kind}, behind nginx balancers of ${SIZES.join(', ')}`);

    const one = balancers.get(1).url;
    await publish(one, token, publishBody({ name: 'cl-dep', vers: '1.0.0' }, crateFile({ name: 'cl-dep', vers: '1.0.0' })));
    for (let i = 0; i < 50; i++) {
      const spec = { name: 'cl-index', vers: `1.${i}.0`, deps: [dep('cl-dep', '^1.0')], features: { default: ['std'], std: [] } };
      await publish(one, token, publishBody(spec, crateFile(spec)));
    }
    const dlSpec = { name: 'cl-download', vers: '1.0.0' };
    await publish(one, token, publishBody(dlSpec, crateFile(dlSpec, { padBytes: 20_000 })));
    const reads = [
      ['index file, gzip', `/index/${indexPath('cl-index')}`, { 'accept-encoding': 'gzip' }],
      ['download of a 20 KB .crate', '/api/v1/crates/cl-download/1.0.0/download', {}],
    ];

    const side = (n, path, headers) => ({ name: `${n} instance${n > 1 ? 's' : ''}`, url: balancers.get(n).url + path, headers, pids: () => [...balancers.get(n).pids, ...instances.slice(0, n).map((s) => s.workerPid)] });
    const warmOpts = { ...bench, seconds: opts.quick ? 1 : 3 };
    let id = 0;
    for (const [what, path, headers] of reads) {
      for (const n of SIZES) await warm(balancers.get(n).url + path, headers, warmOpts);
      for (const n of SIZES.slice(1)) {
        const rowId = `10${'abcd'[id++]}`;
        const res = await compareWrk(`${rowId} ${what}, ${n} vs 1`, side(n, path, headers), side(1, path, headers), bench);
        record({ id: rowId, suite: 'cluster', what: `${what} through nginx: ${n} instances vs 1 (PostgreSQL, ${kind})`, row: { ...wrkRow(res, 0), target: 'none (scaling)', met: null }, data: res });
      }
    }

    // Publishes: the same number through each balancer, the order turning every round.
    const perRun = opts.quick ? 40 : 160;
    const rates = new Map(SIZES.map((n) => [n, []]));
    for (let r = 0; r < opts.rounds; r++) {
      const order = r % 2 === 0 ? SIZES : [...SIZES].reverse();
      for (const n of order) {
        const rate = await publishRate(balancers.get(n).url, token, bodies(`${n}-${r}`, perRun));
        rates.get(n).push(rate);
        say(`10e publishes round ${r + 1}: ${n} instance(s) ${rate.toFixed(1)} publishes/s`);
      }
    }
    const best = (n) => Math.max(...rates.get(n));
    for (const n of SIZES.slice(1)) {
      record({
        id: `10${'ef'[n - 2]}`,
        suite: 'cluster',
        what: `publishes of 20 KB crates, ${CLIENTS} clients through nginx: ${n} instances vs 1 (PostgreSQL, ${kind}; ${perRun} per run)`,
        row: {
          wharf: `${fmt.int(best(n))} publishes/s`,
          peer: `1 instance: ${fmt.int(best(1))} publishes/s`,
          ratio: best(n) / best(1),
          target: 'none (scaling)',
          met: null,
          noise: rates.get(n).map((x, i) => (x / rates.get(1)[i]).toFixed(2)).join(' / '),
        },
        data: { rates: Object.fromEntries(rates) },
      });
    }
    ctx.note('cluster', { storage: kind, instances: instances.length, memory: instances.map((s) => s.memory()) });
  } finally {
    for (const b of balancers.values()) await b.stop().catch(() => undefined);
    for (const s of instances) await s.stop().catch(() => undefined);
    await store.stop().catch(() => undefined);
    await db.drop().catch((err) => say(`could not drop the benchmark database: ${err.message}`));
  }
}
