// Measurements 6 and 7: search latency over 10k and 100k crates, and the server's peak memory
// once it has read the index files of a 100k-version registry and served the index benchmark.
import { Agent, request } from 'node:http';
import { indexPath, WORDS } from '../lib/crates.mjs';
import { openRegistryDb, seedCrates } from '../lib/seed.mjs';
import { createUserAndToken, WharfServer } from '../lib/servers.mjs';
import { fmt, latencyStats, prng, say, tempDir } from '../lib/util.mjs';
import { wrk } from '../lib/wrk.mjs';

/** Crates `from`..`to`-1 of the search registry: same output whatever the batches. */
function searchBatch(from, to) {
  const crates = [];
  for (let i = from; i < to; i++) {
    const rnd = prng(900_000 + i);
    const name = `${rnd.pick(WORDS)}-${rnd.pick(WORDS)}-${i.toString(36)}`;
    const words = Array.from({ length: rnd.int(6, 12) }, () => rnd.pick(WORDS));
    const deps = i < 10 ? [] : Array.from({ length: rnd.int(0, 2) }, () => ({ name: searchCrateName(rnd.int(0, i - 1)), req: '^1' }));
    crates.push({
      name,
      description: `A ${words.join(' ')} library`,
      keywords: Array.from({ length: rnd.int(0, 3) }, () => rnd.pick(WORDS)),
      // A long tail of downloads, as on any registry.
      downloads: Math.floor(1e7 / (1 + rnd.next() * i) ** 1.2),
      versions: [{ num: '1.0.0', deps: [...new Map(deps.map((d) => [d.name, d])).values()], features: { default: [] } }],
    });
  }
  return crates;
}

function searchCrateName(i) {
  const rnd = prng(900_000 + i);
  return `${rnd.pick(WORDS)}-${rnd.pick(WORDS)}-${i.toString(36)}`;
}

/** What people type: a common word, a two-word name fragment, an exact name, a miss. */
function queries(n, crates) {
  const rnd = prng(77);
  return Array.from({ length: n }, (_, i) => {
    switch (i % 4) {
      case 0:
        return rnd.pick(WORDS);
      case 1:
        return `${rnd.pick(WORDS)}-${rnd.pick(WORDS)}`;
      case 2:
        return searchCrateName(rnd.int(0, crates - 1));
      default:
        return `zq${rnd.pick(WORDS)}x`;
    }
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function get(url) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    request(url, { agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

/** The shared search registry, grown to `crates` crates (seeding only what is missing). */
async function searchRegistry(ctx, crates) {
  const reg = (ctx.shared.search ??= { dataDir: tempDir('search'), crates: 0 });
  if (reg.crates === 0) await createUserAndToken(ctx.build, reg.dataDir, 'bench');
  if (reg.crates < crates) {
    const db = await openRegistryDb(ctx.build, reg.dataDir);
    const t0 = performance.now();
    for (let from = reg.crates; from < crates; from += 10_000) await seedCrates(db, 'bench', searchBatch(from, Math.min(crates, from + 10_000)));
    await db.destroy();
    say(`seeded ${crates - reg.crates} crates in ${fmt.s((performance.now() - t0) / 1000)}`);
    reg.crates = crates;
  }
  return reg;
}

export async function searchSuite(ctx) {
  const { build, opts, cpus, record } = ctx;
  const sizes = opts.quick ? [10_000, 30_000] : [10_000, 100_000];
  const n = opts.quick ? 100 : 400;
  const results = {};
  for (const size of sizes) {
    const reg = await searchRegistry(ctx, size);
    const server = await new WharfServer({ build, dataDir: reg.dataDir, cpu: cpus.server, label: `wharf-search-${size}`, profileDir: ctx.profileDir, env: ctx.wharfEnv }).start();
    try {
      const qs = queries(n + 40, size);
      const lat = [];
      const hits = [];
      for (const [i, q] of qs.entries()) {
        const res = await get(`${server.url}/api/v1/crates?q=${encodeURIComponent(q)}&per_page=10`);
        if (res.status !== 200) throw new Error(`search for ${q}: ${res.status} ${res.body.toString().slice(0, 200)}`);
        if (i < 40) continue; // warm-up
        lat.push(res.ms);
        hits.push(JSON.parse(res.body).meta.total);
      }
      results[size] = { ...latencyStats(lat), medianHits: hits.sort((a, b) => a - b)[hits.length >> 1] };
      say(`6 search over ${size} crates: p50 ${fmt.ms(results[size].p50)}, p99 ${fmt.ms(results[size].p99)}`);
    } finally {
      await server.stop();
    }
  }
  const [small, large] = sizes;
  const r = results[large];
  record({
    id: '6',
    suite: 'search',
    what: `search (\`cargo search\`'s query, per_page=10), ${r.n} queries, one client: ${large / 1000}k crates vs ${small / 1000}k`,
    row: {
      wharf: `${large / 1000}k crates: p50 ${fmt.ms(r.p50)}, p99 ${fmt.ms(r.p99)}`,
      peer: `${small / 1000}k crates: p50 ${fmt.ms(results[small].p50)}, p99 ${fmt.ms(results[small].p99)}`,
      ratioText: '',
      target: `p50 < 20 ms at ${large / 1000}k`,
      met: r.p50 < 20,
    },
    data: results,
  });
}

export async function rssSuite(ctx) {
  const { build, opts, cpus, record } = ctx;
  const size = opts.quick ? 30_000 : 100_000;
  const reg = await searchRegistry(ctx, size);
  const server = await new WharfServer({ build, dataDir: reg.dataDir, cpu: cpus.server, label: 'wharf-rss', profileDir: ctx.profileDir, env: ctx.wharfEnv }).start();
  try {
    const base = server.memory();
    // Read every crate's index file once, so the server has loaded all the versions.
    const names = Array.from({ length: size }, (_, i) => searchCrateName(i));
    const t0 = performance.now();
    const readers = Array.from({ length: 8 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
    let next = 0;
    await Promise.all(
      readers.map(
        (a) =>
          new Promise((resolve, reject) => {
            const one = () => {
              if (next >= names.length) return resolve();
              const name = names[next++];
              request(`${server.url}/index/${indexPath(name)}`, { agent: a, headers: { 'accept-encoding': 'gzip' } }, (res) => {
                res.resume();
                res.on('end', () => (res.statusCode === 200 ? one() : reject(new Error(`index of ${name}: ${res.statusCode}`))));
              })
                .on('error', reject)
                .end();
            };
            one();
          }),
      ),
    );
    const loadSeconds = (performance.now() - t0) / 1000;
    const afterLoad = server.memory();
    const bench = await wrk(`${server.url}/index/${indexPath(names[size - 1])}`, { headers: { 'accept-encoding': 'gzip' }, seconds: opts.seconds, connections: opts.connections, cpu: cpus.client });
    const after = server.memory();
    say(`7 memory: start ${fmt.mib(base.rssMiB)}, after reading ${size} index files ${fmt.mib(afterLoad.rssMiB)} (in ${fmt.s(loadSeconds)}), peak ${fmt.mib(after.hwmMiB)}`);
    record({
      id: '7',
      suite: 'rss',
      what: `server peak RSS (VmHWM) after reading all ${size / 1000}k crates' index files (${size / 1000}k versions) and ${opts.seconds} s of wrk on one`,
      row: {
        wharf: `${fmt.mib(after.hwmMiB)} peak (${fmt.mib(base.rssMiB)} at start, ${fmt.mib(after.rssMiB)} at end)`,
        peer: `index load ${fmt.s(loadSeconds)}; wrk ${fmt.int(bench.rps)} req/s`,
        ratioText: '',
        target: '< 300 MB',
        met: after.hwmMiB * 1.048576 < 300,
      },
      data: { base, afterLoad, after, loadSeconds, wrk: bench },
    });
  } finally {
    await server.stop();
  }
}
