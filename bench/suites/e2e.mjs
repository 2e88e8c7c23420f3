// Measurement 4: cargo end to end. A generated graph of 200 crates is published to Wharf through
// the HTTP API; a static copy of the same index and files is served by nginx; then, with a fresh
// CARGO_HOME each time, `cargo generate-lockfile` and `cargo fetch` of a consumer of the top
// crates run against each, alternately.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { crateFile, dep, indexPath, publish, publishBody, WORDS } from '../lib/crates.mjs';
import { createUserAndToken, NginxServer, WharfServer } from '../lib/servers.mjs';
import { fmt, httpGet, pinned, prng, run, say, tempDir } from '../lib/util.mjs';

const REGISTRY = 'bench';

/** 200 crates in dependency order; crate i depends only on crates before it. */
export function crateGraph(count = 200, seed = 200) {
  const rnd = prng(seed);
  const names = new Set();
  while (names.size < count) names.add(`${rnd.pick(WORDS)}-${rnd.pick(WORDS)}`);
  const list = [...names];
  const VERSION_SERIES = ['1.0.0', '1.0.1', '1.1.0', '1.2.0', '1.2.1', '1.3.0', '2.0.0'];
  const crates = [];
  for (let i = 0; i < count; i++) {
    const nVersions = rnd.int(3, 6);
    // Leaves first; later crates pull in 2 to 5 earlier ones, mostly near them in the order.
    const depNames = new Set();
    if (i >= 3) {
      const want = rnd.int(2, Math.min(5, i));
      while (depNames.size < want) depNames.add(list[Math.max(0, i - 1 - Math.floor(rnd.next() ** 2 * i))]);
    }
    const depList = [...depNames];
    const versions = VERSION_SERIES.slice(0, nVersions).map((vers, k) => {
      const deps = depList.map((name, j) =>
        j === 0 && depList.length > 2 ? dep(name, '^1.0', { optional: true }) : dep(name, k > 1 ? '^1.1' : '1'),
      );
      if (i >= 5 && k > 0) deps.push(dep(list[rnd.int(0, i - 1)], '1', { kind: 'dev' }));
      return {
        name: list[i],
        vers,
        description: `${list[i]}: a generated crate of the cargo benchmark`,
        deps: dedupe(deps),
        features: depList.length > 2 ? { default: ['std'], std: [], extra: [depList[0]] } : { default: ['std'], std: [] },
      };
    });
    crates.push({ name: list[i], versions });
  }
  return crates;
}

function dedupe(deps) {
  const seen = new Set();
  return deps.filter((d) => {
    const key = `${d.name}/${d.kind}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function cargoEnv(home) {
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    CARGO_HOME: join(home, 'cargo'),
    RUSTUP_HOME: process.env.RUSTUP_HOME ?? join(process.env.HOME ?? '/root', '.rustup'),
    CARGO_TERM_COLOR: 'never',
    CARGO_HTTP_TIMEOUT: '30',
  };
}

/** cargo's configuration for a registry named `bench` at `indexUrl`. */
export const registryConfig = (indexUrl) => `[registries.${REGISTRY}]\nindex = "${indexUrl}"\n\n[net]\nretry = 0\n`;

/**
 * One cold run: fresh CARGO_HOME with `config` (TOML), no lockfile; returns the seconds of each
 * step. `label` names the side in errors.
 */
export async function cargoRun(config, consumerSrc, cpu, label = config) {
  const home = tempDir('cargo-home');
  try {
    mkdirSync(join(home, 'cargo'), { recursive: true });
    writeFileSync(join(home, 'cargo', 'config.toml'), config);
    const project = join(home, 'consumer');
    cpSync(consumerSrc, project, { recursive: true });
    const env = cargoEnv(home);
    const step = async (args) => {
      const [cmd, full] = pinned(cpu, 'cargo', args);
      const t = performance.now();
      const res = await run(cmd, full, { env, cwd: project, timeoutMs: 600_000 });
      const s = (performance.now() - t) / 1000;
      if (res.code !== 0) throw new Error(`cargo ${args.join(' ')} failed against ${label}:\n${res.stderr.slice(-3000)}`);
      return s;
    };
    const lock = await step(['generate-lockfile']);
    const fetch = await step(['fetch']);
    const lockfile = readFileSync(join(project, 'Cargo.lock'), 'utf8').replace(/^source = .*$/gm, 'source = ...');
    const packages = (lockfile.match(/^\[\[package\]\]/gm) ?? []).length - 1;
    return { lock, fetch, total: lock + fetch, packages, lockfile };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * The generated graph published to a Wharf, and a static copy of its index and files served by
 * nginx (a static sparse registry: config.json, index files with their gzip, .crate files).
 * Returns both servers; the caller stops them.
 */
export async function graphWithStaticCopy(ctx, label) {
  const { build, tools, opts, cpus } = ctx;
  const graph = crateGraph(opts.quick ? 60 : 200);
  const dataDir = tempDir(label);
  const token = await createUserAndToken(build, dataDir, 'bench');
  const wharf = await new WharfServer({ build, dataDir, cpu: cpus.server, label: `wharf-${label}`, profileDir: ctx.profileDir, env: ctx.wharfEnv }).start();
  let nginx = null;
  try {
    const nVersions = graph.reduce((n, c) => n + c.versions.length, 0);
    say(`publishing ${graph.length} crates, ${nVersions} versions, to ${wharf.url}`);
    const t0 = performance.now();
    for (const c of graph) for (const spec of c.versions) await publish(wharf.url, token, publishBody(spec, crateFile(spec)));
    const publishSeconds = (performance.now() - t0) / 1000;

    // The static copy: index files (and their gzip for gzip_static) and .crate files, fetched from Wharf.
    const ngDir = tempDir(`nginx-${label}`);
    const www = join(ngDir, 'www');
    mkdirSync(join(www, 'index'), { recursive: true });
    nginx = new NginxServer({ nginx: tools.nginx, dir: ngDir, root: www, cpu: cpus.server });
    await nginx.start();
    writeFileSync(join(www, 'index', 'config.json'), JSON.stringify({ dl: `${nginx.url}/crates/{crate}/{crate}-{version}.crate`, api: wharf.url }));
    for (const c of graph) {
      const path = indexPath(c.name);
      const res = await httpGet(`${wharf.url}/index/${path}`);
      if (res.status !== 200) throw new Error(`index file of ${c.name}: ${res.status}`);
      const file = join(www, 'index', path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, res.body);
      writeFileSync(`${file}.gz`, gzipSync(res.body, { level: 9 }));
      for (const v of c.versions) {
        const dl = await httpGet(`${wharf.url}/api/v1/crates/${c.name}/${v.vers}/download`);
        if (dl.status !== 200) throw new Error(`download of ${c.name} ${v.vers}: ${dl.status}`);
        mkdirSync(join(www, 'crates', c.name), { recursive: true });
        writeFileSync(join(www, 'crates', c.name, `${c.name}-${v.vers}.crate`), dl.body);
      }
    }
    return { graph, nVersions, publishSeconds, wharf, nginx };
  } catch (err) {
    await nginx?.stop().catch(() => undefined);
    await wharf.stop().catch(() => undefined);
    throw err;
  }
}

/** A consumer of the last crates of the graph (together they reach most of it); `registry` null: crates.io. */
export function writeConsumer(graph, registry) {
  const top = graph.slice(-Math.min(12, graph.length));
  const consumer = join(tempDir('consumer'), 'consumer');
  mkdirSync(join(consumer, 'src'), { recursive: true });
  writeFileSync(
    join(consumer, 'Cargo.toml'),
    `[package]\nname = "consumer"\nversion = "0.1.0"\nedition = "2021"\npublish = false\n\n[dependencies]\n` +
      top.map((c) => (registry ? `${c.name} = { version = "1", registry = "${registry}" }` : `${c.name} = "1"`)).join('\n') +
      '\n',
  );
  writeFileSync(join(consumer, 'src', 'lib.rs'), '');
  return consumer;
}

export async function e2eSuite(ctx) {
  const { tools, opts, cpus, record } = ctx;
  if (!tools.cargo) throw new Error('cargo is not installed');
  const { graph, nVersions, publishSeconds, wharf, nginx } = await graphWithStaticCopy(ctx, 'e2e');
  try {
    const consumer = writeConsumer(graph, REGISTRY);

    // cargo runs take about a second each and vary a lot: more rounds than the wrk comparisons.
  const rounds = opts.quick ? 1 : Math.max(5, opts.rounds);
    const runs = { wharf: [], nginx: [] };
    const urls = { wharf: `sparse+${wharf.url}/index/`, nginx: `sparse+${nginx.url}/index/` };
    for (let r = 0; r < rounds; r++) {
      for (const side of r % 2 === 0 ? ['nginx', 'wharf'] : ['wharf', 'nginx']) {
        const res = await cargoRun(registryConfig(urls[side]), consumer, cpus.client);
        runs[side].push(res);
        say(`4 cargo round ${r + 1}: ${side} lockfile ${fmt.s(res.lock)}, fetch ${fmt.s(res.fetch)}, ${res.packages} packages`);
      }
    }
    if (runs.wharf[0].lockfile !== runs.nginx[0].lockfile) throw new Error('cargo resolved differently against Wharf and against the static copy');
    const best = (list) => list.reduce((a, b) => (b.total < a.total ? b : a));
    const w = best(runs.wharf);
    const n = best(runs.nginx);
    const strip = (list) => list.map(({ lockfile, ...rest }) => rest);
    // Each round pairs two runs seconds apart; cargo's times swing with the machine's load from
    // round to round, so the ratio is the median of the paired ratios (best-of would pair one
    // side's quiet moment with the other's busy one). The best times are shown too.
    const paired = runs.wharf.map((x, i) => x.total / runs.nginx[i].total);
    const ratio = [...paired].sort((a, b) => a - b)[paired.length >> 1];
    record({
      id: '4',
      suite: 'e2e',
      what: `cargo generate-lockfile + fetch, fresh CARGO_HOME, ${w.packages} of ${graph.length} crates (${nVersions} versions in the registry)`,
      row: {
        wharf: `${fmt.s(w.total)} (lockfile ${fmt.s(w.lock)}, fetch ${fmt.s(w.fetch)})`,
        peer: `nginx static: ${fmt.s(n.total)} (lockfile ${fmt.s(n.lock)}, fetch ${fmt.s(n.fetch)})`,
        ratio,
        ratioText: `${ratio.toFixed(2)}x time (median of rounds; best-of ${(w.total / n.total).toFixed(2)}x)`,
        target: '≤ 1.1x time',
        met: ratio <= 1.1,
        noise: paired.map((r) => r.toFixed(2)).join(' / '),
      },
      data: { publishSeconds, crates: graph.length, versions: nVersions, pairedRatios: paired, bestOfRatio: w.total / n.total, wharf: strip(runs.wharf), nginx: strip(runs.nginx) },
    });
  } finally {
    await nginx.stop().catch(() => undefined);
    await wharf.stop().catch(() => undefined);
  }
}
