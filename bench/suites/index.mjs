// Measurements 1-3: index reads (plain, gzip, auth-required), 304 revalidation, and Verdaccio.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compareWrk, warm } from '../lib/compare.mjs';
import { crateFile, dep, indexPath, publish, publishBody } from '../lib/crates.mjs';
import { wrkRow } from '../lib/report.mjs';
import { BareNodeServer, createUserAndToken, NginxServer, VerdaccioServer, WharfServer } from '../lib/servers.mjs';
import { httpGet, say, tempDir } from '../lib/util.mjs';

const CRATE = 'bench-index';
const DEPS = ['bench-dep-alpha', 'bench-dep-beta', 'bench-dep-gamma', 'bench-dep-delta', 'bench-dep-epsilon', 'bench-dep-zeta'];

/** 50 versions of one crate, each with a realistic spread of dependencies and features. */
function versionSpecs() {
  const specs = [];
  for (let i = 0; i < 50; i++) {
    const vers = `${Math.floor(i / 20)}.${Math.floor((i % 20) / 5)}.${i % 5}`;
    const deps = DEPS.slice(0, 3 + (i % 4)).map((name, k) =>
      k === 2 ? dep(name, '^1.0', { optional: true }) : k === 4 ? dep(name, '^1', { kind: 'dev' }) : dep(name, '^1.0.0'),
    );
    specs.push({
      name: CRATE,
      vers,
      description: 'A crate with fifty versions, read by the index benchmark',
      deps,
      features: { default: ['std'], std: [], full: ['std', DEPS[2]] },
    });
  }
  return specs;
}

/** A package document of npm's shape with `count` versions, padded to land near `targetBytes`. */
function npmDocument(name, count, pad) {
  const versions = {};
  const time = { created: '2024-01-01T00:00:00.000Z', modified: '2024-06-01T00:00:00.000Z' };
  let last = '';
  for (let i = 0; i < count; i++) {
    const v = `${Math.floor(i / 20)}.${Math.floor((i % 20) / 5)}.${i % 5}`;
    last = v;
    versions[v] = {
      name,
      version: v,
      description: 'A package with fifty versions, read by the benchmark. ' + 'x'.repeat(pad),
      main: 'index.js',
      license: 'MIT',
      dependencies: { 'dep-alpha': '^1.0.0', 'dep-beta': '^1.2.0', 'dep-gamma': '~1.0.3' },
      devDependencies: { 'dep-delta': '^1.0.0' },
      _id: `${name}@${v}`,
      dist: {
        shasum: '0123456789abcdef0123456789abcdef01234567',
        integrity: 'sha512-' + Buffer.alloc(64, i).toString('base64'),
        tarball: `http://localhost/${name}/-/${name}-${v}.tgz`,
      },
    };
    time[v] = new Date(Date.UTC(2024, 0, 1 + i)).toISOString();
  }
  return { name, versions, 'dist-tags': { latest: last }, time, _uplinks: {}, _distfiles: {}, _attachments: {}, _rev: '1-0000000000000000', readme: '' };
}

async function placeNpmPackage(verdaccio, name, pad) {
  const dir = join(verdaccio.dir, 'storage', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify(npmDocument(name, 50, pad), null, 2));
  const res = await httpGet(`${verdaccio.url}/${name}`, { accept: 'application/json' });
  if (res.status !== 200) throw new Error(`verdaccio answered ${res.status} for ${name}: ${res.body.toString().slice(0, 300)}`);
  return res.body.length;
}

export async function indexSuite(ctx) {
  const { build, tools, opts, cpus, record } = ctx;
  const bench = { rounds: opts.rounds, seconds: opts.seconds, connections: opts.connections, cpu: cpus.client };
  const dataDir = tempDir('index');
  const token = await createUserAndToken(build, dataDir, 'bench');

  const open = await new WharfServer({ build, dataDir, cpu: cpus.server, label: 'wharf-open', profileDir: ctx.profileDir, env: ctx.wharfEnv }).start();
  const closed = await new WharfServer({ build, dataDir, cpu: cpus.server, label: 'wharf-auth', profileDir: ctx.profileDir, env: { ...ctx.wharfEnv, WHARF_AUTH_REQUIRED: 'true' } }).start();
  const servers = [open, closed];
  try {
    say(`publishing ${CRATE} (50 versions) to ${open.url}`);
    for (const name of DEPS) {
      const spec = { name, vers: '1.0.0', description: `dependency ${name}` };
      await publish(open.url, token, publishBody(spec, crateFile(spec)));
    }
    for (const spec of versionSpecs()) await publish(open.url, token, publishBody(spec, crateFile(spec)));


    const path = `/index/${indexPath(CRATE)}`;
    const plain = await httpGet(open.url + path);
    const gz = await httpGet(open.url + path, { 'accept-encoding': 'gzip' });
    if (plain.status !== 200 || gz.status !== 200 || gz.headers['content-encoding'] !== 'gzip') throw new Error('the index file did not come back as expected');
    const lines = plain.body.toString().trim().split('\n').length;
    say(`index file: ${plain.body.length} bytes, ${gz.body.length} gzipped, ${lines} lines`);

    // nginx serves the very same bytes from disk; the .gz sibling is Wharf's own gzip.
    const ngDir = tempDir('nginx-index');
    const file = join(ngDir, 'www', path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, plain.body);
    writeFileSync(`${file}.gz`, gz.body);
    const nginx = await new NginxServer({ nginx: tools.nginx, dir: ngDir, root: join(ngDir, 'www'), cpu: cpus.server }).start();
    servers.push(nginx);
    const ngPlain = await httpGet(nginx.url + path);
    const ngGz = await httpGet(nginx.url + path, { 'accept-encoding': 'gzip' });
    if (!ngPlain.body.equals(plain.body) || !ngGz.body.equals(gz.body) || ngGz.headers['content-encoding'] !== 'gzip') {
      throw new Error('nginx does not send the same bytes as Wharf');
    }

    const auth = { authorization: token };
    const acceptGz = { 'accept-encoding': 'gzip' };
    const authed = await httpGet(closed.url + path, { ...auth, ...acceptGz });
    const refused = await httpGet(closed.url + path, acceptGz);
    if (authed.status !== 200 || !authed.body.equals(gz.body) || refused.status !== 401) throw new Error('auth-required Wharf did not check the token');

    const wEtag = gz.headers.etag;
    const nEtag = ngGz.headers.etag;
    for (const [url, h] of [
      [open.url + path, { ...acceptGz, 'if-none-match': wEtag }],
      [closed.url + path, { ...acceptGz, ...auth, 'if-none-match': wEtag }],
      [nginx.url + path, { ...acceptGz, 'if-none-match': nEtag }],
    ]) {
      const res = await httpGet(url, h);
      if (res.status !== 304) throw new Error(`expected 304 from ${url}, got ${res.status}`);
    }

    say('warming up');
    const warmOpts = { ...bench, seconds: opts.quick ? 1 : 3 };
    await warm(open.url + path, acceptGz, warmOpts);
    await warm(open.url + path, {}, warmOpts);
    await warm(closed.url + path, { ...acceptGz, ...auth }, warmOpts);
    await warm(nginx.url + path, acceptGz, warmOpts);

    const scenarios = [
      ['1a', 'index file, identity', { name: 'wharf', url: open.url + path, headers: {}, pid: () => open.workerPid }, { name: 'nginx', url: nginx.url + path, headers: {}, pid: () => nginx.workerPid }, 0.8],
      ['1b', 'index file, gzip', { name: 'wharf', url: open.url + path, headers: acceptGz, pid: () => open.workerPid }, { name: 'nginx', url: nginx.url + path, headers: acceptGz, pid: () => nginx.workerPid }, 0.8],
      ['1c', 'index file, gzip, auth-required', { name: 'wharf', url: closed.url + path, headers: { ...acceptGz, ...auth }, pid: () => closed.workerPid }, { name: 'nginx', url: nginx.url + path, headers: acceptGz, pid: () => nginx.workerPid }, 0.7],
      ['2a', '304 If-None-Match', { name: 'wharf', url: open.url + path, headers: { ...acceptGz, 'if-none-match': wEtag }, pid: () => open.workerPid }, { name: 'nginx', url: nginx.url + path, headers: { ...acceptGz, 'if-none-match': nEtag }, pid: () => nginx.workerPid }, 0.8],
      ['2b', '304 If-None-Match, auth-required', { name: 'wharf', url: closed.url + path, headers: { ...acceptGz, ...auth, 'if-none-match': wEtag }, pid: () => closed.workerPid }, { name: 'nginx', url: nginx.url + path, headers: { ...acceptGz, 'if-none-match': nEtag }, pid: () => nginx.workerPid }, 0.7],
    ];
    for (const [id, what, w, p, target] of scenarios) {
      const res = await compareWrk(`${id} ${what}`, w, p, bench);
      record({ id, suite: 'index', what, row: wrkRow(res, target), data: { bytes: what.includes('gzip') ? gz.body.length : plain.body.length, ...res } });
    }

    // Reference rows, no target: the same reads from a bare node:http server that does nothing
    // but answer them (bare-node-server.mjs), i.e. the floor for any server built on Node's HTTP.
    const bare = await new BareNodeServer({ dir: tempDir('bare-node'), urlPath: path, plain: plain.body, gzip: gz.body, etag: plain.headers.etag, gzipEtag: wEtag, cpu: cpus.server }).start();
    servers.push(bare);
    const bareGz = await httpGet(bare.url + path, acceptGz);
    const bare304 = await httpGet(bare.url + path, { ...acceptGz, 'if-none-match': wEtag });
    if (!bareGz.body.equals(gz.body) || bareGz.headers.etag !== wEtag || bare304.status !== 304) throw new Error('the bare node:http server does not answer as Wharf does');
    await warm(bare.url + path, acceptGz, warmOpts);
    for (const [id, what, headers] of [
      ['1d', 'index file, gzip: Wharf vs bare node:http (reference)', acceptGz],
      ['2c', '304 If-None-Match: Wharf vs bare node:http (reference)', { ...acceptGz, 'if-none-match': wEtag }],
    ]) {
      const res = await compareWrk(`${id} ${what}`, { name: 'wharf', url: open.url + path, headers, pid: () => open.workerPid }, { name: 'bare node:http', url: bare.url + path, headers, pid: () => bare.workerPid }, bench);
      record({ id, suite: 'index', what, row: { ...wrkRow(res, 0), target: 'none (reference)', met: null }, data: { bytes: gz.body.length, ...res } });
    }

    // 3: Verdaccio serving a package document of about the same size.
    const vDir = tempDir('verdaccio');
    const verdaccio = await new VerdaccioServer({ bin: ctx.verdaccioBin, dir: vDir, cpu: cpus.server }).start();
    servers.push(verdaccio);
    const pkg = 'bench-meta';
    // The document grows linearly with the padding: two probes find the padding that matches.
    const s0 = await placeNpmPackage(verdaccio, pkg, 0);
    const s1 = await placeNpmPackage(verdaccio, pkg, 100);
    const pad = Math.max(0, Math.round(((plain.body.length - s0) * 100) / (s1 - s0)));
    const vSize = await placeNpmPackage(verdaccio, pkg, pad);
    const vGz = await httpGet(`${verdaccio.url}/${pkg}`, { accept: 'application/json', ...acceptGz });
    say(`verdaccio document: ${vSize} bytes, ${vGz.body.length} gzipped (${vGz.headers['content-encoding'] ?? 'identity'})`);
    const vAccept = { accept: 'application/json' };
    await warm(`${verdaccio.url}/${pkg}`, { ...vAccept, ...acceptGz }, warmOpts);
    for (const [id, what, hw, hv] of [
      ['3a', 'Wharf index vs Verdaccio package document, identity', {}, vAccept],
      ['3b', 'Wharf index vs Verdaccio package document, gzip', acceptGz, { ...vAccept, ...acceptGz }],
    ]) {
      const res = await compareWrk(`${id} ${what}`, { name: 'wharf', url: open.url + path, headers: hw, pid: () => open.workerPid }, { name: 'verdaccio', url: `${verdaccio.url}/${pkg}`, headers: hv, pid: () => verdaccio.workerPid }, bench);
      record({ id, suite: 'index', what, row: wrkRow(res, 3), data: { bytes: id === '3a' ? plain.body.length : gz.body.length, peerBytes: id === '3a' ? vSize : vGz.body.length, ...res } });
    }
    ctx.note('index', {
      indexFile: { bytes: plain.body.length, gzipBytes: gz.body.length, lines },
      verdaccioDocument: { bytes: vSize, gzipBytes: vGz.body.length },
      wharfMemoryAfter: open.memory(),
      wharfAuthMemoryAfter: closed.memory(),
    });
  } finally {
    for (const s of servers.reverse()) await s.stop().catch(() => undefined);
  }
}
