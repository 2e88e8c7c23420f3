// The servers under test: Wharf (one process), nginx (one worker) and Verdaccio (one process).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { staticNginxConfig } from '../../test/helpers/static-nginx-config.mjs';
import { childPids, Daemon, freePort, memoryOf, pinned, runOk, say, waitForHttp } from './util.mjs';

const CLI = join(import.meta.dirname, 'wharf-cli.mjs');

/** Environment for a Wharf process on `dataDir`; never reads a wharf.toml (cwd is the data dir). */
function wharfEnv(build, dataDir, extra = {}) {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    WHARF_BENCH_BUILD: build,
    WHARF_DATA_DIR: dataDir,
    WHARF_HOST: '127.0.0.1',
    ...extra,
  };
}

/** `wharf ARGS` against a data directory; returns stdout. */
export async function wharfCli(build, dataDir, args, extraEnv = {}) {
  const res = await runOk(process.execPath, [CLI, ...args], { env: wharfEnv(build, dataDir, extraEnv), cwd: dataDir });
  return res.stdout;
}

/** Creates a user and a token with every scope; returns the token (the last line of stdout). */
export async function createUserAndToken(build, dataDir, login) {
  // Only `migrate` and `serve` create a registry; the other commands need one.
  await wharfCli(build, dataDir, ['migrate']);
  await wharfCli(build, dataDir, ['user', 'add', login, '--admin']);
  const out = await wharfCli(build, dataDir, ['token', 'create', login, '--name', 'bench']);
  return out.trim().split('\n').at(-1).trim();
}

export class WharfServer {
  /**
   * @param {object} o
   * @param {string} o.build  compiled Wharf (bench/.build/dist)
   * @param {string} o.dataDir
   * @param {number|null} o.cpu  CPU to pin to, or null
   * @param {Record<string,string>} [o.env]  extra WHARF_* settings
   * @param {string|null} [o.profileDir]  write a V8 CPU profile there at exit
   */
  constructor({ build, dataDir, cpu = null, env = {}, profileDir = null, label = 'wharf' }) {
    Object.assign(this, { build, dataDir, cpu, env, profileDir, label });
  }

  async start() {
    this.port = await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    const nodeArgs = this.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${this.profileDir}`, `--cpu-prof-name=${this.label}-${Date.now()}.cpuprofile`] : [];
    const [cmd, args] = pinned(this.cpu, process.execPath, [...nodeArgs, CLI, 'serve']);
    this.daemon = new Daemon(this.label, cmd, args, {
      env: wharfEnv(this.build, this.dataDir, { WHARF_PORT: String(this.port), ...this.env }),
      cwd: this.dataDir,
      logFile: join(this.dataDir, `${this.label}.log`),
    });
    await waitForHttp(`${this.url}/health/live`, { daemon: this.daemon });
    return this;
  }

  memory() {
    return memoryOf(this.daemon.pid);
  }

  /** The process that does the serving, for CPU accounting. */
  get workerPid() {
    return this.daemon.pid;
  }

  async stop() {
    await this.daemon?.stop();
  }
}

/**
 * Starts nginx with `http` as the body of its http block, everything it writes under `dir`,
 * listening on a free port (`port` is given to `http`); resolves when `probe` answers.
 */
async function startNginx(server, { label, workers, http, probe }) {
  server.port = await freePort();
  server.url = `http://127.0.0.1:${server.port}`;
  const d = server.dir;
  for (const sub of ['tmp', 'logs']) mkdirSync(join(d, sub), { recursive: true });
  // Started as root, nginx's worker drops to an unprivileged user, which must read the files.
  chmodSync(d, 0o755);
  const conf = join(d, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes ${workers};
daemon off;
pid ${d}/nginx.pid;
error_log ${d}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log ${d}/logs/access.log;
  client_body_temp_path ${d}/tmp/body;
  proxy_temp_path ${d}/tmp/proxy;
  fastcgi_temp_path ${d}/tmp/fastcgi;
  uwsgi_temp_path ${d}/tmp/uwsgi;
  scgi_temp_path ${d}/tmp/scgi;
  keepalive_timeout 75s;
  # Wharf has no per-connection request cap; neither does nginx here.
  keepalive_requests 100000000;
${http(server.port)}}
`,
  );
  const [cmd, args] = pinned(server.cpu, server.nginx, ['-p', d, '-c', conf]);
  server.daemon = new Daemon(label, cmd, args, { logFile: join(d, 'logs', 'stdout.log') });
  await waitForHttp(`${server.url}${probe}`, { daemon: server.daemon });
  return server;
}

/**
 * nginx with one worker serving `root` as static files. Precompressed `.gz` siblings are sent
 * with gzip_static when the client accepts gzip (the same bytes Wharf sends from memory); access
 * logging stays on, as by default, to a file.
 */
export class NginxServer {
  constructor({ nginx, dir, root, cpu = null }) {
    Object.assign(this, { nginx, dir, root, cpu });
  }

  start() {
    return startNginx(this, {
      label: 'nginx',
      workers: 1,
      probe: '/',
      http: (port) => `  sendfile on;
  tcp_nopush on;
  types { application/json json; application/gzip crate; }
  default_type text/plain;
  charset utf-8;
  server {
    listen 127.0.0.1:${port};
    root ${this.root};
    gzip_static on;
    gzip_vary on;
    location /index/ { add_header cache-control "public, max-age=0, must-revalidate"; }
  }
`,
    });
  }

  get workerPid() {
    return childPids(this.daemon.pid)[0] ?? this.daemon.pid;
  }

  async stop() {
    await this.daemon?.stop('SIGQUIT');
  }
}

/** bare-node-server.mjs: node:http answering one index file, the floor for a Node server. */
export class BareNodeServer {
  constructor({ dir, urlPath, plain, gzip, etag, gzipEtag, cpu = null }) {
    Object.assign(this, { dir, urlPath, plain, gzip, etag, gzipEtag, cpu });
  }

  async start() {
    this.port = await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    mkdirSync(this.dir, { recursive: true });
    const plainFile = join(this.dir, 'index-file');
    const gzipFile = join(this.dir, 'index-file.gz');
    writeFileSync(plainFile, this.plain);
    writeFileSync(gzipFile, this.gzip);
    const script = join(import.meta.dirname, 'bare-node-server.mjs');
    const [cmd, args] = pinned(this.cpu, process.execPath, [script, String(this.port), this.urlPath, plainFile, gzipFile, this.etag, this.gzipEtag]);
    this.daemon = new Daemon('bare-node', cmd, args, { logFile: join(this.dir, 'access.log') });
    await waitForHttp(`${this.url}${this.urlPath}`, { daemon: this.daemon });
    return this;
  }

  get workerPid() {
    return this.daemon.pid;
  }

  async stop() {
    await this.daemon?.stop();
  }
}

/**
 * Verdaccio bound to 127.0.0.1 with its own storage, no uplinks (nothing leaves the machine),
 * the npm audit middleware off (it forwards to the public registry) and the web UI off.
 * Logging stays at its default level (`http`, a line per request), to a file.
 */
export class VerdaccioServer {
  constructor({ bin, dir, cpu = null }) {
    Object.assign(this, { bin, dir, cpu });
  }

  async start() {
    this.port = await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    const d = this.dir;
    mkdirSync(join(d, 'storage'), { recursive: true });
    const conf = join(d, 'config.yaml');
    writeFileSync(
      conf,
      `storage: ${d}/storage
auth:
  htpasswd:
    file: ${d}/htpasswd
    max_users: -1
uplinks: {}
packages:
  '@*/*':
    access: $all
    publish: $authenticated
  '**':
    access: $all
    publish: $authenticated
listen:
  - 127.0.0.1:${this.port}
web:
  enable: false
middlewares:
  audit:
    enabled: false
server:
  keepAliveTimeout: 75
log:
  type: stdout
  format: json
  level: http
`,
    );
    const [cmd, args] = pinned(this.cpu, process.execPath, [this.bin, '--config', conf]);
    this.daemon = new Daemon('verdaccio', cmd, args, { env: { PATH: process.env.PATH ?? '', HOME: d, NODE_ENV: 'production' }, cwd: d, logFile: join(d, 'verdaccio.log') });
    await waitForHttp(`${this.url}/-/ping`, { daemon: this.daemon });
    say(`verdaccio listening on ${this.url}`);
    return this;
  }

  get workerPid() {
    return this.daemon.pid;
  }

  async stop() {
    await this.daemon?.stop();
  }
}

/**
 * nginx as a load balancer in front of Wharf instances (round robin, keep-alive to the
 * upstreams), as the README's "Several instances" example runs it. Workers: one per core.
 */
export class NginxBalancer {
  constructor({ nginx, dir, upstreams, cpu = null }) {
    Object.assign(this, { nginx, dir, upstreams, cpu });
  }

  start() {
    return startNginx(this, {
      label: 'nginx-lb',
      workers: 'auto',
      probe: '/health/live',
      http: (port) => `  upstream wharf {
${this.upstreams.map((u) => `    server ${new URL(u).host};`).join('\n')}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 20m;
    location / {
      proxy_pass http://wharf;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
`,
    });
  }

  /** The master and its workers, for CPU accounting. */
  get pids() {
    return [this.daemon.pid, ...childPids(this.daemon.pid)];
  }

  async stop() {
    await this.daemon?.stop('SIGQUIT');
  }
}

/**
 * nginx with one worker serving Wharf's static copy of the index (`static_index_dir`) with the
 * configuration the tests use (test/helpers/static-nginx-config.mjs, the README's): gzip_static,
 * ETags, and with `authUpstream` an auth_request to Wharf's /api/v1/static-auth, its yes cached
 * per token for `authCacheSeconds` (default: Wharf's 5 s; 0: every request asks Wharf).
 */
export class StaticIndexNginx {
  constructor({ nginx, dir, root, cpu = null, authUpstream = null, authCacheSeconds, label = 'nginx-static' }) {
    Object.assign(this, { nginx, dir, root, cpu, authUpstream, authCacheSeconds, label });
  }

  async start() {
    this.port = await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    const d = this.dir;
    mkdirSync(join(d, 'auth-cache'), { recursive: true });
    chmodSync(d, 0o755);
    const conf = join(d, 'nginx.conf');
    const { authUpstream, authCacheSeconds } = this;
    // Raised as for the bench's other nginx servers: no busy keep-alive connection is closed.
    writeFileSync(conf, staticNginxConfig({ root: this.root, port: this.port, workDir: d, authUpstream, authCacheSeconds, keepaliveRequests: 100_000_000, workerConnections: 4096 }));
    const [cmd, args] = pinned(this.cpu, this.nginx, ['-p', d, '-c', conf, '-e', join(d, 'error.log')]);
    this.daemon = new Daemon(this.label, cmd, args, { logFile: join(d, 'stdout.log') });
    await waitForHttp(`${this.url}/config.json`, { daemon: this.daemon });
    return this;
  }

  /** The master and its worker, for CPU accounting. */
  get pids() {
    return [this.daemon.pid, ...childPids(this.daemon.pid)];
  }

  async stop() {
    await this.daemon?.stop('SIGQUIT');
  }
}
