// Measurement 8: the mirror. The generated graph is served by nginx as a static sparse registry
// (the upstream); consumers depend on it as on crates.io, with crates-io replaced either by
// nginx itself or by a Wharf mirroring nginx. 8a: through a warm mirror vs straight from the
// static copy (target ≤ 1.1x time). 8b: through a cold mirror (empty cache, a new Wharf each
// round) vs straight from the upstream (≤ 1.5x). 8c: a warm mirrored index read vs a private one
// (the same fast path: ≥ 0.9x the requests per second).
import { compareWrk, warm } from '../lib/compare.mjs';
import { indexPath } from '../lib/crates.mjs';
import { wrkRow } from '../lib/report.mjs';
import { WharfServer } from '../lib/servers.mjs';
import { fmt, httpGet, say, tempDir } from '../lib/util.mjs';
import { cargoRun, graphWithStaticCopy, writeConsumer } from './e2e.mjs';

/** cargo's configuration with crates.io replaced by the sparse registry at `indexUrl`. */
const replacedBy = (indexUrl) => `[source.crates-io]\nreplace-with = "bench-mirror"\n\n[source.bench-mirror]\nregistry = "${indexUrl}"\n\n[net]\nretry = 0\n`;

/** Runs both sides `rounds` times in alternation; the ratio is the median of the paired ratios. */
async function cargoRounds(id, rounds, sides, consumer, cpu) {
  const runs = { wharf: [], nginx: [] };
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0 ? ['nginx', 'wharf'] : ['wharf', 'nginx']) {
      const { config, label } = await sides[side](r);
      const res = await cargoRun(config, consumer, cpu, label);
      runs[side].push(res);
      say(`${id} cargo round ${r + 1}: ${side} lockfile ${fmt.s(res.lock)}, fetch ${fmt.s(res.fetch)}, ${res.packages} packages`);
    }
  }
  if (runs.wharf[0].lockfile !== runs.nginx[0].lockfile) throw new Error(`${id}: cargo resolved differently through the mirror and against the upstream`);
  const paired = runs.wharf.map((x, i) => x.total / runs.nginx[i].total);
  const ratio = [...paired].sort((a, b) => a - b)[paired.length >> 1];
  const best = (list) => list.reduce((a, b) => (b.total < a.total ? b : a));
  const strip = (list) => list.map(({ lockfile, ...rest }) => rest);
  return { ratio, paired, w: best(runs.wharf), n: best(runs.nginx), data: { pairedRatios: paired, wharf: strip(runs.wharf), nginx: strip(runs.nginx) } };
}

function cargoRow(result, peerName, limit) {
  const { ratio, paired, w, n } = result;
  return {
    wharf: `${fmt.s(w.total)} (lockfile ${fmt.s(w.lock)}, fetch ${fmt.s(w.fetch)})`,
    peer: `${peerName}: ${fmt.s(n.total)} (lockfile ${fmt.s(n.lock)}, fetch ${fmt.s(n.fetch)})`,
    ratio,
    ratioText: `${ratio.toFixed(2)}x time (median of rounds; best-of ${(w.total / n.total).toFixed(2)}x)`,
    target: `≤ ${limit}x time`,
    met: ratio <= limit,
    noise: paired.map((r) => r.toFixed(2)).join(' / '),
  };
}

export async function mirrorSuite(ctx) {
  const { build, tools, opts, cpus, record } = ctx;
  if (!tools.cargo) throw new Error('cargo is not installed');
  const { graph, nVersions, wharf: source, nginx } = await graphWithStaticCopy(ctx, 'mirror');
  const servers = [source, nginx];
  // A TTL longer than the run: the warm numbers measure the cache, not revalidations.
  const startMirror = async (label) => {
    const env = { ...ctx.wharfEnv, WHARF_MIRROR_UPSTREAM: `${nginx.url}/index/`, WHARF_MIRROR_INDEX_TTL: '3600' };
    const server = await new WharfServer({ build, dataDir: tempDir(label), cpu: cpus.server, label, profileDir: ctx.profileDir, env }).start();
    servers.push(server);
    return server;
  };
  try {
    const consumer = writeConsumer(graph, null);
    const rounds = opts.quick ? 1 : Math.max(5, opts.rounds);
    const upstream = { config: replacedBy(`sparse+${nginx.url}/index/`), label: 'the static upstream' };
    const what = `${graph.length} crates (${nVersions} versions upstream), fresh CARGO_HOME`;

    const warmMirror = await startMirror('wharf-mirror-warm');
    const warmSide = { config: replacedBy(`sparse+${warmMirror.url}/mirror/index/`), label: 'the warm mirror' };
    say('filling the warm mirror');
    await cargoRun(warmSide.config, consumer, cpus.client, 'the mirror being filled');
    const warmResult = await cargoRounds('8a', rounds, { wharf: async () => warmSide, nginx: async () => upstream }, consumer, cpus.client);
    record({ id: '8a', suite: 'mirror', what: `cargo generate-lockfile + fetch through the warm mirror vs the static copy, ${what}`, row: cargoRow(warmResult, 'nginx static', 1.1), data: warmResult.data });

    const cold = [];
    const coldResult = await cargoRounds(
      '8b',
      rounds,
      {
        wharf: async (r) => {
          // A new Wharf with an empty cache each round, started before the clock runs.
          if (r > 0) await cold[r - 1]?.stop();
          cold[r] = await startMirror(`wharf-mirror-cold-${r}`);
          return { config: replacedBy(`sparse+${cold[r].url}/mirror/index/`), label: 'a cold mirror' };
        },
        nginx: async () => upstream,
      },
      consumer,
      cpus.client,
    );
    record({ id: '8b', suite: 'mirror', what: `cargo generate-lockfile + fetch through a cold mirror vs the upstream directly, ${what}`, row: cargoRow(coldResult, 'upstream directly', 1.5), data: coldResult.data });

    // 8c: one warm index file, mirrored vs private, gzip: the same bytes from the same fast path.
    const path = indexPath(graph[graph.length - 1].name);
    const acceptGz = { 'accept-encoding': 'gzip' };
    const mirrored = `${warmMirror.url}/mirror/index/${path}`;
    const privateRead = `${source.url}/index/${path}`;
    const [m, p] = [await httpGet(mirrored, acceptGz), await httpGet(privateRead, acceptGz)];
    if (m.status !== 200 || !m.body.equals(p.body)) throw new Error('the mirrored index file is not the bytes of the private one');
    const bench = { rounds: opts.rounds, seconds: opts.seconds, connections: opts.connections, cpu: cpus.client };
    const warmOpts = { ...bench, seconds: opts.quick ? 1 : 3 };
    await warm(mirrored, acceptGz, warmOpts);
    await warm(privateRead, acceptGz, warmOpts);
    const res = await compareWrk(
      '8c warm mirrored index file vs private, gzip',
      { name: 'wharf mirror', url: mirrored, headers: acceptGz, pid: () => warmMirror.workerPid },
      { name: 'wharf private', url: privateRead, headers: acceptGz, pid: () => source.workerPid },
      bench,
    );
    record({ id: '8c', suite: 'mirror', what: 'warm mirrored index file vs a private one, gzip', row: wrkRow(res, 0.9), data: { bytes: m.body.length, ...res } });
  } finally {
    for (const s of servers.reverse()) await s.stop().catch(() => undefined);
  }
}
