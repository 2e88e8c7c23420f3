// Measurements 11a-11c and 12a-12c: the static copy of the index (`static_index_dir`) served by
// nginx with the README's configuration, and a private registry's copy behind nginx's
// auth_request to Wharf's /api/v1/static-auth.
//
// Before measuring, the suite proves that nginx publishes Wharf's bytes: for every crate, nginx's
// body equals Wharf's /index/ body, nginx's gzip equals Wharf's gzip, and the .gz in the folder
// decompresses to the same file. It checks again after the publishes of 11c.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { compareWrk, warm } from '../lib/compare.mjs';
import { crateFile, dep, indexPath, publish, publishBody } from '../lib/crates.mjs';
import { wrkRow } from '../lib/report.mjs';
import { createUserAndToken, StaticIndexNginx, WharfServer } from '../lib/servers.mjs';
import { fmt, httpGet, latencyStats, say, sleep, tempDir } from '../lib/util.mjs';

const CRATE = 'bench-static';
const DEPS = ['bench-dep-alpha', 'bench-dep-beta', 'bench-dep-gamma', 'bench-dep-delta'];
const VERSIONS = 50;
const POLL_MS = 2;

const spec = (name, vers, i = 0) => ({
  name,
  vers,
  description: 'read from the static copy by the benchmark',
  deps: DEPS.slice(0, 2 + (i % 3)).map((d, k) => (k === 2 ? dep(d, '^1.0', { optional: true }) : dep(d, '^1.0.0'))),
  features: { default: ['std'], std: [] },
});

/**
 * nginx's copy against Wharf's /index/, crate by crate: the same plain bytes, the same gzip
 * bytes, and the .gz on disk decompressing to the plain file. Throws at the first difference.
 */
async function proveIdentical(wharfUrl, nginxUrl, copyDir, names) {
  let bytes = 0;
  for (const name of names) {
    const path = indexPath(name);
    const w = await httpGet(`${wharfUrl}/index/${path}`);
    const wGz = await httpGet(`${wharfUrl}/index/${path}`, { 'accept-encoding': 'gzip' });
    const n = await httpGet(`${nginxUrl}/${path}`);
    const nGz = await httpGet(`${nginxUrl}/${path}`, { 'accept-encoding': 'gzip' });
    const diskGz = readFileSync(join(copyDir, `${path}.gz`));
    const problems = [];
    if (w.status !== 200 || n.status !== 200) problems.push(`status: wharf ${w.status}, nginx ${n.status}`);
    if (!n.body.equals(w.body)) problems.push('plain bodies differ');
    if (nGz.headers['content-encoding'] !== 'gzip') problems.push('nginx did not send the .gz');
    if (!nGz.body.equals(wGz.body)) problems.push('gzip bodies differ');
    if (!gunzipSync(nGz.body).equals(w.body) || !gunzipSync(diskGz).equals(w.body)) problems.push('the .gz does not decompress to the file');
    if (problems.length > 0) throw new Error(`static copy of ${name}: ${problems.join('; ')}`);
    bytes += w.body.length;
  }
  return { files: names.length, bytes };
}

/**
 * Publishes one version and polls nginx's copy every POLL_MS from the moment the upload starts
 * until the version's line is served. Milliseconds from the upload's start and from the answer
 * (negative or zero: it was already served when the answer arrived).
 */
async function publishAndWatch(wharfUrl, nginxUrl, token, s, padBytes) {
  const url = `${nginxUrl}/${indexPath(s.name)}`;
  const line = `"vers":"${s.vers}"`;
  const t0 = performance.now();
  let answeredAt = null;
  const published = publish(wharfUrl, token, publishBody(s, crateFile(s, { padBytes }))).then(() => (answeredAt = performance.now()));
  let seenAt = null;
  for (;;) {
    const res = await httpGet(url);
    if (res.status === 200 && res.body.toString().includes(line)) {
      seenAt = performance.now();
      break;
    }
    if (performance.now() - t0 > 30_000) throw new Error(`${s.name} ${s.vers} did not appear in nginx's copy within 30 s`);
    await sleep(POLL_MS);
  }
  await published;
  return { fromStart: seenAt - t0, fromAnswer: seenAt - answeredAt, publishMs: answeredAt - t0 };
}

export async function staticSuite(ctx) {
  const { build, tools, opts, cpus, record } = ctx;
  const bench = { rounds: opts.rounds, seconds: opts.seconds, connections: opts.connections, cpu: cpus.client };
  const dataDir = tempDir('static');
  const copyDir = join(tempDir('static-copy'), 'index');
  const token = await createUserAndToken(build, dataDir, 'bench');
  const open = await new WharfServer({ build, dataDir, cpu: cpus.server, label: 'wharf-static', profileDir: ctx.profileDir, env: { ...ctx.wharfEnv, WHARF_STATIC_INDEX_DIR: copyDir } }).start();
  // The private registry: the same database; it answers /index/ with a token and nginx's checks.
  const closed = await new WharfServer({ build, dataDir, cpu: cpus.server, label: 'wharf-auth', profileDir: ctx.profileDir, env: { ...ctx.wharfEnv, WHARF_AUTH_REQUIRED: 'true' } }).start();
  const servers = [open, closed];
  try {
    for (const name of DEPS) await publish(open.url, token, publishBody({ name, vers: '1.0.0' }, crateFile({ name, vers: '1.0.0' })));
    say(`publishing ${CRATE} (${VERSIONS} versions) to ${open.url}, static copy in ${copyDir}`);
    for (let i = 0; i < VERSIONS; i++) {
      const s = spec(CRATE, `1.${Math.floor(i / 10)}.${i % 10}`, i);
      await publish(open.url, token, publishBody(s, crateFile(s)));
    }
    const nginx = await new StaticIndexNginx({ nginx: tools.nginx, dir: tempDir('nginx-static'), root: copyDir, cpu: cpus.server }).start();
    servers.push(nginx);
    const names = [...DEPS, CRATE];
    const before = await proveIdentical(open.url, nginx.url, copyDir, names);
    say(`static copy: ${before.files} index files, ${before.bytes} bytes, identical to Wharf's /index/ (plain, gzip, .gz on disk)`);

    const wPath = `${open.url}/index/${indexPath(CRATE)}`;
    const nPath = `${nginx.url}/${indexPath(CRATE)}`;
    const gz = { 'accept-encoding': 'gzip' };
    const wGz = await httpGet(wPath, gz);
    const nGz = await httpGet(nPath, gz);
    const w304 = { ...gz, 'if-none-match': wGz.headers.etag };
    const n304 = { ...gz, 'if-none-match': nGz.headers.etag };
    for (const [url, h] of [
      [wPath, w304],
      [nPath, n304],
    ]) {
      const res = await httpGet(url, h);
      if (res.status !== 304) throw new Error(`expected 304 from ${url}, got ${res.status}`);
    }

    const warmOpts = { ...bench, seconds: opts.quick ? 1 : 3 };
    await warm(wPath, gz, warmOpts);
    await warm(nPath, gz, warmOpts);
    const kb = fmt.kb(wGz.body.length);
    const wharf = (url, headers, server = open) => ({ name: 'wharf', url, headers, pid: () => server.workerPid });
    const reads = [
      ['11a', `index file of ${VERSIONS} versions, gzip (${kb}): Wharf's /index/ vs nginx serving the static copy`, wharf(wPath, gz), { name: 'nginx static copy', url: nPath, headers: gz, pids: () => nginx.pids }],
      ['11b', '304 If-None-Match: Wharf\'s /index/ vs nginx serving the static copy', wharf(wPath, w304), { name: 'nginx static copy', url: nPath, headers: n304, pids: () => nginx.pids }],
    ];
    for (const [id, what, w, p] of reads) {
      const res = await compareWrk(`${id} ${what}`, w, p, bench);
      record({ id, suite: 'static', what, row: { ...wrkRow(res, 0), target: 'none (reference)', met: null }, data: { bytes: wGz.body.length, ...res } });
    }

    // 11c: publish-to-visible through the copy. New crates and new versions of the large one, in
    // turn, each a 20 KB .crate, one at a time.
    const count = opts.quick ? 10 : 40;
    const samples = [];
    const added = [];
    for (let k = 0; k < count; k++) {
      const s = k % 2 === 0 ? spec(`bench-static-new-${k}`, '1.0.0', k) : spec(CRATE, `2.0.${k}`, k);
      if (k % 2 === 0) added.push(s.name);
      samples.push(await publishAndWatch(open.url, nginx.url, token, s, 20_000));
    }
    const after = await proveIdentical(open.url, nginx.url, copyDir, [...names, ...added]);
    say(`static copy after ${count} publishes: ${after.files} index files, identical to Wharf's /index/`);
    const start = latencyStats(samples.map((x) => x.fromStart));
    const answer = latencyStats(samples.map((x) => x.fromAnswer));
    const publishes = latencyStats(samples.map((x) => x.publishMs));
    const servedAtAnswer = samples.filter((x) => x.fromAnswer <= 0).length;
    record({
      id: '11c',
      suite: 'static',
      what: `publish to visible in nginx's static copy: ${count} publishes of 20 KB crates (half new crates, half new versions of the ${VERSIONS}-version one), nginx polled every ${POLL_MS} ms`,
      row: {
        wharf: `from the upload's start: median ${fmt.ms(start.p50)}, max ${fmt.ms(start.max)}`,
        peer: `from the answer: median ${fmt.ms(answer.p50)}, max ${fmt.ms(answer.max)} (${servedAtAnswer} of ${count} already served when answered; publish median ${fmt.ms(publishes.p50)})`,
        target: '< 1 s (max from the start)',
        met: start.max < 1000,
      },
      data: { samples, fromStart: start, fromAnswer: answer, publish: publishes, identical: { before, after } },
    });

    // 12a-12c: a private registry. nginx asks Wharf about the token with auth_request, its yes
    // cached for Wharf's 5 s or not at all, against Wharf's own auth-required /index/. The
    // peer's CPU is nginx's and the checking Wharf's together.
    const cached = await new StaticIndexNginx({ nginx: tools.nginx, dir: tempDir('nginx-auth-cached'), root: copyDir, cpu: cpus.server, authUpstream: closed.url, label: 'nginx-auth-cached' }).start();
    servers.push(cached);
    const uncached = await new StaticIndexNginx({ nginx: tools.nginx, dir: tempDir('nginx-auth-uncached'), root: copyDir, cpu: cpus.server, authUpstream: closed.url, authCacheSeconds: 0, label: 'nginx-auth-uncached' }).start();
    servers.push(uncached);
    const auth = { authorization: token };
    const cPath = `${cached.url}/${indexPath(CRATE)}`;
    const uPath = `${uncached.url}/${indexPath(CRATE)}`;
    const aPath = `${closed.url}/index/${indexPath(CRATE)}`;
    const current = await httpGet(wPath, gz);
    for (const url of [cPath, uPath, aPath]) {
      const refused = await httpGet(url, gz);
      const wrong = await httpGet(url, { ...gz, authorization: 'cio-not-a-token' });
      const allowed = await httpGet(url, { ...gz, ...auth });
      if (refused.status !== 401 || ![401, 403].includes(wrong.status)) throw new Error(`${url} answered ${refused.status} without a token and ${wrong.status} with a wrong one`);
      if (allowed.status !== 200 || !allowed.body.equals(current.body)) throw new Error(`${url} did not send the index file to a valid token (${allowed.status})`);
    }
    const cEtag = (await httpGet(cPath, { ...gz, ...auth })).headers.etag;
    const aEtag = (await httpGet(aPath, { ...gz, ...auth })).headers.etag;
    const c304 = { ...gz, ...auth, 'if-none-match': cEtag };
    const a304 = { ...gz, ...auth, 'if-none-match': aEtag };
    if ((await httpGet(cPath, c304)).status !== 304 || (await httpGet(aPath, a304)).status !== 304) throw new Error('an authenticated revalidation did not answer 304');

    await warm(aPath, { ...gz, ...auth }, warmOpts);
    await warm(cPath, { ...gz, ...auth }, warmOpts);
    await warm(uPath, { ...gz, ...auth }, warmOpts);
    const withWharf = (n) => () => [...n.pids, closed.workerPid];
    const authRows = [
      ['12a', `index file, gzip, a token on every request: Wharf auth-required vs nginx auth_request, yes cached 5 s per token`, wharf(aPath, { ...gz, ...auth }, closed), { name: 'nginx auth_request, cached', url: cPath, headers: { ...gz, ...auth }, pids: withWharf(cached) }],
      ['12b', `index file, gzip, a token on every request: Wharf auth-required vs nginx auth_request, not cached (every request asks Wharf)`, wharf(aPath, { ...gz, ...auth }, closed), { name: 'nginx auth_request, uncached', url: uPath, headers: { ...gz, ...auth }, pids: withWharf(uncached) }],
      ['12c', `304 If-None-Match with a token: Wharf auth-required vs nginx auth_request, yes cached 5 s per token`, wharf(aPath, a304, closed), { name: 'nginx auth_request, cached', url: cPath, headers: c304, pids: withWharf(cached) }],
    ];
    for (const [id, what, w, p] of authRows) {
      const res = await compareWrk(`${id} ${what}`, w, p, bench);
      record({ id, suite: 'static', what, row: { ...wrkRow(res, 0), target: 'none (reference)', met: null }, data: res });
    }
    ctx.note('static', { identical: { before, after }, indexBytes: current.body.length });
  } finally {
    for (const s of servers.reverse()) await s.stop().catch(() => undefined);
  }
}
