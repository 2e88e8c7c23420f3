// Measurements 10a-10f: two and three Wharf instances behind nginx as a load balancer, on one
// PostgreSQL database, against one instance behind the same nginx: index reads, downloads and
// publishes per second.
//
// WHARF_BENCH_STORAGE picks where the crate files live: `fs` (default: one folder all instances
// share, which on one machine is simply a folder) or `s3` (a bucket on an s3rver started here,
// each instance with its own data folder, as the README's "Several instances" runs them; needs a
// build with `storage = "s3"`). WHARF_BENCH_PG names the PostgreSQL server (default
// postgres://postgres@127.0.0.1:5432/postgres); a database is created for the run and dropped.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { compareWrk, warm } from '../lib/compare.mjs';
import { crateFile, dep, indexPath, publish, publishBody } from '../lib/crates.mjs';
import { wrkRow } from '../lib/report.mjs';
import { NginxBalancer, WharfServer, wharfCli } from '../lib/servers.mjs';
import { ROOT } from '../lib/tools.mjs';
import { fmt, httpGet, say, tempDir } from '../lib/util.mjs';

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
  if (kind === 'fs') return { env: {}, sharedDir: tempDir('cluster-data'), pids: [], stop: async () => undefined };
  if (kind !== 's3') throw new Error(`WHARF_BENCH_STORAGE must be fs or s3, not ${kind}`);
  const sample = await wharfCli(build, tempDir('cluster-sample'), ['config', 'sample']);
  if (!/s3_bucket/.test(sample)) throw new Error('this build of Wharf has no `storage = "s3"`; run with WHARF_BENCH_STORAGE=fs');
  const s3 = await startS3rver(tempDir('cluster-s3'));
  return {
    env: {
      WHARF_STORAGE: 's3',
      WHARF_S3_BUCKET: s3.bucket,
      WHARF_S3_ENDPOINT: s3.endpoint,
      WHARF_S3_REGION: 'us-east-1',
      WHARF_S3_FORCE_PATH_STYLE: 'true',
      WHARF_S3_ACCESS_KEY_ID: 'S3RVER',
      WHARF_S3_SECRET_ACCESS_KEY: 'S3RVER',
    },
    sharedDir: null,
    pids: [s3.pid],
    stop: s3.stop,
  };
}

/**
 * s3rver in a process of its own (the tests' test/helpers/s3rver-child.mjs, with the OpenSSL
 * legacy provider it needs for listings), so that serving the bucket neither shares the event
 * loop of the bench's publishing clients nor hides from the CPU accounting; one bucket in it.
 */
async function startS3rver(dir) {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', join(ROOT, 'test', 'helpers', 's3rver-child.mjs'), dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += String(chunk);
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]).port);
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code} before listening`)));
  });
  const stop = async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const endpoint = `http://127.0.0.1:${port}`;
  const bucket = 'wharf-bench';
  // As Wharf does: no NodeVersionSupportWarning from the SDK on Node 20 unless asked for.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.destroy();
  }
  return { endpoint, bucket, pid: child.pid, stop };
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
    const dlCrate = crateFile(dlSpec, { padBytes: 20_000 });
    await publish(one, token, publishBody(dlSpec, dlCrate));
    // Every instance sends the published bytes; with s3, from the bucket, not its own folder.
    for (const s of instances) {
      const res = await httpGet(`${s.url}/api/v1/crates/cl-download/1.0.0/download`);
      if (res.status !== 200 || !res.body.equals(dlCrate)) throw new Error(`${s.label} did not send the published .crate (${res.status})`);
      if (kind === 's3' && existsSync(join(s.dataDir, 'crates'))) throw new Error(`${s.label} wrote crate files into its data folder with storage = "s3"`);
    }
    const reads = [
      ['index file, gzip', `/index/${indexPath('cl-index')}`, { 'accept-encoding': 'gzip' }],
      ['download of a 20 KB .crate', '/api/v1/crates/cl-download/1.0.0/download', {}],
    ];

    const side = (n, path, headers) => ({ name: `${n} instance${n > 1 ? 's' : ''}`, url: balancers.get(n).url + path, headers, pids: () => [...balancers.get(n).pids, ...instances.slice(0, n).map((s) => s.workerPid), ...store.pids] });
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
