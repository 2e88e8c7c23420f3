#!/usr/bin/env node
// `npm run soak -- --seconds N [--connections C]`: a bounded soak of a built `wharf serve` on a
// temporary data directory. wrk reads index files and downloads while publishes keep landing;
// prints throughput, p99, errors and the server's RSS before and after. Exit code 1 on any error.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'wharf.js');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
}
const seconds = Number(option('seconds', '60'));
const connections = Number(option('connections', '32'));
const CRATES = 20;

function ensureWrk() {
  if (spawnSync('wrk', ['--version']).error === undefined) return;
  console.log('wrk is missing: installing it from Debian (apt-get install -y wrk)');
  const r = spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('could not install wrk; install it (apt-get install wrk) and run again');
    process.exit(2);
  }
}

function freePort() {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function crateBody(name, vers) {
  const tar = pack();
  const chunks = [];
  tar.on('data', (c) => chunks.push(c));
  const ended = new Promise((resolve) => tar.on('end', resolve));
  tar.entry({ name: `${name}-${vers}/Cargo.toml` }, `[package]\nname = "${name}"\nversion = "${vers}"\nedition = "2021"\n`);
  tar.entry({ name: `${name}-${vers}/src/lib.rs` }, `pub fn v() -> &'static str { "${vers}" }\n${'// padding\n'.repeat(200)}`);
  tar.finalize();
  await ended;
  const crate = gzipSync(Buffer.concat(chunks));
  const json = Buffer.from(JSON.stringify({ name, vers, deps: [], features: {}, authors: [], description: 'soak', license: 'MIT', keywords: [], categories: [] }));
  const a = Buffer.alloc(4);
  a.writeUInt32LE(json.length);
  const b = Buffer.alloc(4);
  b.writeUInt32LE(crate.length);
  return { body: Buffer.concat([a, json, b, crate]), sha256: createHash('sha256').update(crate).digest('hex') };
}

const rssMb = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};

const indexPath = (name) => (name.length <= 2 ? `${name.length}/${name}` : name.length === 3 ? `3/${name[0]}/${name}` : `${name.slice(0, 2)}/${name.slice(2, 4)}/${name}`);

async function main() {
  if (!existsSync(join(root, 'dist', 'main.js'))) execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  ensureWrk();
  const dir = mkdtempSync(join(tmpdir(), 'wharf-soak-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...process.env, WHARF_DATA_DIR: dir, WHARF_PORT: String(port), WHARF_LOG_LEVEL: 'warn', WHARF_RATE_LIMIT_PRESET: 'off', WHARF_CONFIG: join(dir, 'none.toml') };
  writeFileSync(env.WHARF_CONFIG, '');
  delete env.WHARF_DATABASE_URL;
  const cli = (...args) => execFileSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
  cli('migrate');
  cli('user', 'add', 'soak');
  const token = cli('token', 'create', 'soak', '--name', 'soak').trimEnd().split('\n').at(-1);

  const server = spawn(process.execPath, [bin, 'serve'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/health/live`)).ok) break;
    } catch {}
    if (i > 200) throw new Error('wharf serve did not start');
    await new Promise((r) => setTimeout(r, 50));
  }

  const paths = [];
  for (let i = 0; i < CRATES; i++) {
    const name = `soak-crate-${i}`;
    const { body } = await crateBody(name, '1.0.0');
    const res = await fetch(`${url}/api/v1/crates/new`, { method: 'PUT', body, headers: { authorization: token } });
    if (res.status !== 200) throw new Error(`seeding ${name} failed: ${res.status} ${await res.text()}`);
    paths.push(`/index/${indexPath(name)}`, `/api/v1/crates/${name}/1.0.0/download`);
  }
  // Warm up so the RSS before is that of a running server, not of a fresh process.
  for (let i = 0; i < 3; i++) await Promise.all(paths.map((p) => fetch(`${url}${p}`).then((r) => r.arrayBuffer())));
  const rssBefore = rssMb(server.pid);

  const lua = join(dir, 'soak.lua');
  writeFileSync(
    lua,
    `local paths = {${paths.map((p) => `"${p}"`).join(',')}}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], { ["Accept-Encoding"] = (i % 2 == 0) and "gzip" or "identity" })
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK {\\"requests\\":%d,\\"duration_us\\":%d,\\"bytes\\":%d,\\"connect\\":%d,\\"read\\":%d,\\"write\\":%d,\\"status\\":%d,\\"timeout\\":%d,\\"p50_us\\":%d,\\"p99_us\\":%d,\\"max_us\\":%d}\\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`,
  );

  // Publishes run beside wrk for the whole soak: new versions of the same crates.
  let stop = false;
  const publishes = { ok: 0, failed: 0, latencies: [] };
  const publisher = (async () => {
    for (let n = 1; !stop; n++) {
      const { body } = await crateBody(`soak-crate-${n % CRATES}`, `1.${n}.0`);
      const started = performance.now();
      try {
        const res = await fetch(`${url}/api/v1/crates/new`, { method: 'PUT', body, headers: { authorization: token } });
        await res.arrayBuffer();
        if (res.status === 200) publishes.ok += 1;
        else {
          publishes.failed += 1;
          console.error(`publish answered ${res.status}`);
        }
      } catch (err) {
        publishes.failed += 1;
        console.error(`publish failed: ${err.message}`);
      }
      publishes.latencies.push(performance.now() - started);
    }
  })();

  console.log(`soaking ${url} for ${seconds} s: wrk with ${connections} connections on ${paths.length / 2} index files and ${paths.length / 2} downloads, publishes alongside`);
  const wrk = await new Promise((resolve) => {
    const child = spawn('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', lua, url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', () => resolve(out));
  });
  stop = true;
  await publisher;
  const rssAfter = rssMb(server.pid);
  const line = /WRK (\{.*\})/.exec(wrk);
  if (!line) throw new Error(`wrk printed no summary:\n${wrk}`);
  const w = JSON.parse(line[1]);

  server.kill('SIGTERM');
  await new Promise((r) => server.on('exit', r));
  const check = spawnSync(process.execPath, [bin, 'check'], { env, encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });

  const readErrors = w.connect + w.read + w.write + w.status + w.timeout;
  const sorted = publishes.latencies.sort((a, b) => a - b);
  const p99 = (xs) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] : NaN);
  const rows = [
    ['reads (wrk)', w.requests, (w.requests / (w.duration_us / 1e6)).toFixed(0), (w.p50_us / 1000).toFixed(2), (w.p99_us / 1000).toFixed(2), readErrors],
    ['publishes', publishes.ok + publishes.failed, ((publishes.ok + publishes.failed) / seconds).toFixed(1), (sorted[Math.floor(sorted.length / 2)] ?? NaN).toFixed(2), p99(sorted).toFixed(2), publishes.failed],
  ];
  console.log('\n| traffic | requests | per second | p50 (ms) | p99 (ms) | errors |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\nwrk errors: connect ${w.connect}, read ${w.read}, write ${w.write}, non-2xx ${w.status}, timeout ${w.timeout}`);
  console.log(`server RSS: ${rssBefore} MB before, ${rssAfter} MB after (${rssAfter - rssBefore >= 0 ? '+' : ''}${rssAfter - rssBefore} MB)`);
  console.log(`wharf check afterwards: ${check.stdout.trim().split('\n').at(-1)}`);
  const failed = readErrors + publishes.failed > 0 || check.status !== 0;
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
