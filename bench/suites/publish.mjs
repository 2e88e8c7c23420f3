// Measurement 5: publishes of 20 KB crates through the HTTP API, one client and then four at
// once, into a registry holding 1k versions and then 50k (seeded in bulk, with the server stopped).
import { crateFile, dep, publish, publishBody, WORDS } from '../lib/crates.mjs';
import { openRegistryDb, seedCrates } from '../lib/seed.mjs';
import { createUserAndToken, WharfServer } from '../lib/servers.mjs';
import { fmt, latencyStats, prng, say, tempDir } from '../lib/util.mjs';

const VERSIONS_PER_SEED_CRATE = 10;

/** Seed crates `from`..`to`-1: 10 versions each, 0-3 dependencies on earlier seed crates. */
function seedBatch(from, to) {
  const rnd = prng(5000 + from);
  const crates = [];
  for (let i = from; i < to; i++) {
    const versions = [];
    for (let v = 0; v < VERSIONS_PER_SEED_CRATE; v++) {
      const deps = [];
      for (let k = 0; k < (i === 0 ? 0 : rnd.int(0, 3)); k++) deps.push({ name: `seed-${rnd.int(0, i - 1)}`, req: '^1.0' });
      versions.push({ num: `1.${v}.0`, deps: [...new Map(deps.map((d) => [d.name, d])).values()], features: { default: [] } });
    }
    crates.push({ name: `seed-${i}`, description: `seeded crate ${i}: ${rnd.pick(WORDS)} ${rnd.pick(WORDS)}`, keywords: [rnd.pick(WORDS)], versions });
  }
  return crates;
}

/** Publish bodies prepared before the clock starts: `clients` lists of `perClient` 20 KB crates. */
function bodies(tag, clients, perClient, seedCrates) {
  const rnd = prng(tag.length * 7919);
  return Array.from({ length: clients }, (_, c) =>
    Array.from({ length: perClient }, (_, k) => {
      const spec = {
        // Five crates per client, so most publishes update an existing crate, some create one.
        name: `pub-${tag}-${c}-${k % 5}`,
        vers: `1.0.${Math.floor(k / 5)}`,
        description: 'a 20 KB crate of the publish benchmark',
        deps: [0, 1, 2].map(() => dep(`seed-${rnd.int(0, seedCrates - 1)}`, '^1.0')).filter((d, i, all) => all.findIndex((x) => x.name === d.name) === i),
        features: { default: ['std'], std: [] },
      };
      return publishBody(spec, crateFile(spec, { padBytes: 19_000 }));
    }),
  );
}

/** Publishes `list` one after another; returns latencies and wall time. */
async function sequentially(url, token, list) {
  const lat = [];
  const t = performance.now();
  for (const body of list) lat.push(await publish(url, token, body));
  return { lat, seconds: (performance.now() - t) / 1000 };
}

/** Four clients, each publishing its own list one after another, all at once. */
async function concurrently(url, token, lists) {
  const lat = [];
  const t = performance.now();
  await Promise.all(lists.map(async (list) => {
    for (const body of list) lat.push(await publish(url, token, body));
  }));
  return { lat, seconds: (performance.now() - t) / 1000 };
}

/**
 * Both registries are up at once and take batches in alternation, so background load on the
 * machine falls on both alike and the ratio between them is fair.
 */
async function measureBoth(servers, { sequential, concurrent, rounds }) {
  const out = {};
  for (const [label, s] of Object.entries(servers)) {
    for (const body of bodies(`${label}w`, 1, 10, s.seedCrates)[0]) await publish(s.url, s.token, body);
    out[label] = { seq: { lat: [], seconds: 0, n: 0 }, con: { lat: [], seconds: 0, n: 0 } };
  }
  const labels = Object.keys(servers);
  for (let r = 0; r < rounds; r++) {
    for (const label of r % 2 === 0 ? labels : [...labels].reverse()) {
      const s = servers[label];
      const seq = await sequentially(s.url, s.token, bodies(`${label}s${r}`, 1, sequential / rounds, s.seedCrates)[0]);
      const con = await concurrently(s.url, s.token, bodies(`${label}c${r}`, 4, concurrent / rounds / 4, s.seedCrates));
      for (const [k, v] of [['seq', seq], ['con', con]]) {
        out[label][k].lat.push(...v.lat);
        out[label][k].seconds += v.seconds;
      }
    }
  }
  const size = bodies('size', 1, 1, 1)[0][0].length;
  const result = {};
  for (const label of labels) {
    const o = out[label];
    result[label] = {
      sequential: { ...latencyStats(o.seq.lat), perSecond: o.seq.lat.length / o.seq.seconds, size },
      concurrent: { ...latencyStats(o.con.lat), perSecond: o.con.lat.length / o.con.seconds },
    };
  }
  return result;
}

export async function publishSuite(ctx) {
  const { build, opts, cpus, record } = ctx;
  const small = 1_000;
  const big = opts.quick ? 10_000 : 50_000;
  // Divisible by rounds (and by 4 clients per round), so every batch is whole.
  const counts = { sequential: opts.quick ? 40 : 200, concurrent: opts.quick ? 32 : 192, rounds: opts.quick ? 2 : 4 };
  const servers = {};
  try {
    for (const [label, versions] of [['1k', small], ['big', big]]) {
      const dataDir = tempDir(`publish-${label}`);
      const token = await createUserAndToken(build, dataDir, 'bench');
      const db = await openRegistryDb(build, dataDir);
      const crates = versions / VERSIONS_PER_SEED_CRATE;
      const t0 = performance.now();
      await seedCrates(db, 'bench', seedBatch(0, crates));
      await db.destroy();
      say(`seeded ${versions} versions in ${fmt.s((performance.now() - t0) / 1000)}`);
      const server = await new WharfServer({ build, dataDir, cpu: cpus.server, label: `wharf-publish-${label}`, profileDir: ctx.profileDir, env: ctx.wharfEnv }).start();
      servers[label] = { server, url: server.url, token, seedCrates: crates, versions };
    }
    const measured = await measureBoth(servers, counts);
    report(record, measured['1k'], measured.big, big);
  } finally {
    for (const s of Object.values(servers)) await s.server.stop().catch(() => undefined);
  }
}

function report(record, a, b, big) {
  const bigLabel = `${big / 1000}k`;
  for (const side of [['1k', a], [bigLabel, b]]) {
    say(`5 publish at ${side[0]} versions: sequential p50 ${fmt.ms(side[1].sequential.p50)} p99 ${fmt.ms(side[1].sequential.p99)} ${side[1].sequential.perSecond.toFixed(0)}/s; 4 clients p50 ${fmt.ms(side[1].concurrent.p50)} p99 ${fmt.ms(side[1].concurrent.p99)} ${side[1].concurrent.perSecond.toFixed(0)}/s`);
  }
  for (const [id, mode, what] of [['5a', 'sequential', 'one client'], ['5b', 'concurrent', '4 concurrent clients']]) {
    const ratio = b[mode].p50 / a[mode].p50;
    const cell = (r) => `p50 ${fmt.ms(r[mode].p50)}, p99 ${fmt.ms(r[mode].p99)}, ${r[mode].perSecond.toFixed(0)} publishes/s`;
    record({
      id,
      suite: 'publish',
      what: `publish ${fmt.kb(a.sequential.size)} crates, ${what}: into ${bigLabel} versions vs into 1k (${a[mode].n} publishes each, alternating batches)`,
      row: {
        wharf: `into ${bigLabel}: ${cell(b)}`,
        peer: `into 1k: ${cell(a)}`,
        ratio,
        ratioText: `${ratio.toFixed(2)}x p50 (p99 ${(b[mode].p99 / a[mode].p99).toFixed(2)}x)`,
        target: '≤ 1.2x p50',
        met: ratio <= 1.2,
      },
      data: { '1k': a, [bigLabel]: b },
    });
  }
}
