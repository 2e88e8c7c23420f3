// Measurements 1e-1g: downloads of a 20 KB .crate, which Wharf keeps in memory once it is popular
// (crate_cache_bytes) and answers like an index file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compareWrk, warm } from '../lib/compare.mjs';
import { crateFile, dep, indexPath, publish, publishBody } from '../lib/crates.mjs';
import { wrkRow } from '../lib/report.mjs';
import { createUserAndToken, NginxServer, WharfServer } from '../lib/servers.mjs';
import { httpGet, say, tempDir } from '../lib/util.mjs';

const DOWNLOAD = { name: 'bench-download', vers: '1.0.0', description: 'a .crate of about 20 KB, downloaded by the benchmark' };
const SAME_SIZE = 'bench-index-same-size';
const DEPS = ['bench-dep-alpha', 'bench-dep-beta', 'bench-dep-gamma'];

/**
 * Publishes versions of one crate until its index file (identity) is at least `bytes` long: the
 * warm index read a download of a .crate of that size is held against.
 */
async function publishIndexOfSize(url, token, bytes) {
  const path = `/index/${indexPath(SAME_SIZE)}`;
  for (let i = 0; i < 500; i++) {
    const spec = {
      name: SAME_SIZE,
      vers: `1.${i}.0`,
      description: 'an index file as large as the downloaded .crate',
      deps: DEPS.map((d) => dep(d, '^1.0.0')),
      features: { default: ['std'], std: [] },
    };
    await publish(url, token, publishBody(spec, crateFile(spec)));
    const res = await httpGet(url + path);
    if (res.status === 200 && res.body.length >= bytes) return { path, bytes: res.body.length, versions: i + 1 };
  }
  throw new Error(`no index file reached ${bytes} bytes`);
}

export async function downloadsSuite(ctx) {
  const { build, tools, opts, cpus, record } = ctx;
  const bench = { rounds: opts.rounds, seconds: opts.seconds, connections: opts.connections, cpu: cpus.client };
  const dataDir = tempDir('downloads');
  const token = await createUserAndToken(build, dataDir, 'bench');
  const open = await new WharfServer({ build, dataDir, cpu: cpus.server, label: 'wharf-open', profileDir: ctx.profileDir, env: ctx.wharfEnv }).start();
  const closed = await new WharfServer({ build, dataDir, cpu: cpus.server, label: 'wharf-auth', profileDir: ctx.profileDir, env: { ...ctx.wharfEnv, WHARF_AUTH_REQUIRED: 'true' } }).start();
  const servers = [open, closed];
  try {
    for (const name of DEPS) {
      const spec = { name, vers: '1.0.0', description: `dependency ${name}` };
      await publish(open.url, token, publishBody(spec, crateFile(spec)));
    }
    const crate = crateFile(DOWNLOAD, { padBytes: 20_000 });
    await publish(open.url, token, publishBody(DOWNLOAD, crate));
    const download = `/api/v1/crates/${DOWNLOAD.name}/${DOWNLOAD.vers}/download`;
    const sameSize = await publishIndexOfSize(open.url, token, crate.length);
    say(`index file of ${sameSize.bytes} bytes (${sameSize.versions} versions) beside the ${crate.length} byte .crate`);

    const ngDir = tempDir('nginx-downloads');
    mkdirSync(dirname(join(ngDir, 'www', download)), { recursive: true });
    writeFileSync(join(ngDir, 'www', download), crate);
    const nginx = await new NginxServer({ nginx: tools.nginx, dir: ngDir, root: join(ngDir, 'www'), cpu: cpus.server }).start();
    servers.push(nginx);

    const auth = { authorization: token };
    const wDl = await httpGet(open.url + download);
    const nDl = await httpGet(nginx.url + download);
    const aDl = await httpGet(closed.url + download, auth);
    if (wDl.status !== 200 || !wDl.body.equals(crate) || !nDl.body.equals(crate) || !aDl.body.equals(crate)) throw new Error('the .crate did not come back as published');
    if ((await httpGet(closed.url + download)).status !== 401) throw new Error('auth-required Wharf sent a download without a token');

    say('warming up');
    const warmOpts = { ...bench, seconds: opts.quick ? 1 : 3 };
    await warm(open.url + download, {}, warmOpts);
    await warm(closed.url + download, auth, warmOpts);
    await warm(open.url + sameSize.path, {}, warmOpts);
    await warm(nginx.url + download, {}, warmOpts);

    const kb = (n) => (n / 1024).toFixed(1);
    const wharf = (server, headers = {}) => ({ name: 'wharf', url: server.url + download, headers, pid: () => server.workerPid });
    const ngx = { name: 'nginx', url: nginx.url + download, headers: {}, pid: () => nginx.workerPid };
    const rows = [
      ['1e', `download of a ${kb(crate.length)} KB .crate`, wharf(open), ngx, 0.8],
      [
        '1f',
        `download of a ${kb(crate.length)} KB .crate vs a warm index file of ${kb(sameSize.bytes)} KB (identity) from the same Wharf`,
        wharf(open),
        { name: 'wharf index read', url: open.url + sameSize.path, headers: {}, pid: () => open.workerPid },
        0.9,
      ],
      ['1g', `download of a ${kb(crate.length)} KB .crate, auth-required (reference)`, wharf(closed, auth), ngx, null],
    ];
    for (const [id, what, w, p, target] of rows) {
      const res = await compareWrk(`${id} ${what}`, w, p, bench);
      const row = target === null ? { ...wrkRow(res, 0), target: 'none (reference)', met: null } : wrkRow(res, target);
      record({ id, suite: 'downloads', what, row, data: { bytes: crate.length, peerBytes: id === '1f' ? sameSize.bytes : crate.length, ...res } });
    }
    ctx.note('downloads', { crateBytes: crate.length, indexBytes: sameSize.bytes, wharfMemoryAfter: open.memory(), wharfAuthMemoryAfter: closed.memory() });
  } finally {
    for (const s of servers.reverse()) await s.stop().catch(() => undefined);
  }
}
