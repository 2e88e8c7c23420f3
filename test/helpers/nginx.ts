import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './live-server.js';
import { staticNginxConfig } from './static-nginx-config.mjs';

/** Debian's nginx (package nginx-light: gzip_static and auth_request built in). */
export const NGINX = process.env.WHARF_TEST_NGINX ?? '/usr/sbin/nginx';

/**
 * Why tests that need nginx cannot run here, or null when they can. Under CI=true a missing nginx
 * is a failure, not a skip (.ci/run installs it), as chromium is for the browser tests.
 */
export function nginxMissing(): string | null {
  if (existsSync(NGINX)) return null;
  if (process.env.CI === 'true') throw new Error(`nginx is required under CI=true but ${NGINX} does not exist (apt-get install nginx-light)`);
  return `nginx is not installed at ${NGINX} (apt-get install nginx-light, or set WHARF_TEST_NGINX)`;
}

export { type StaticNginxOptions, staticNginxConfig } from './static-nginx-config.mjs';

export interface RunningNginx {
  url: string;
  /** `sparse+http://127.0.0.1:PORT/` for cargo. */
  indexUrl: string;
  workDir: string;
  /** What nginx logged in its access log (one line per request). */
  accessLog(): string[];
  close(): Promise<void>;
}

/** Starts nginx on `port` (default: a free loopback port) in front of `root`, and waits until it answers. */
export async function startStaticNginx(options: { root: string; port?: number; authUpstream?: string | null; authCacheSeconds?: number }): Promise<RunningNginx> {
  const workDir = mkdtempSync(join(tmpdir(), 'wharf-nginx-'));
  mkdirSync(join(workDir, 'auth-cache'));
  const port = options.port ?? (await freePort());
  writeFileSync(join(workDir, 'nginx.conf'), staticNginxConfig({ ...options, port, workDir }));
  const output: string[] = [];
  const child: ChildProcess = spawn(NGINX, ['-c', join(workDir, 'nginx.conf'), '-p', workDir, '-e', join(workDir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGQUIT');
      await exited;
    }
    rmSync(workDir, { recursive: true, force: true });
  };
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) break;
    try {
      await fetch(`${url}/.ready`);
      return {
        url,
        indexUrl: `sparse+${url}/`,
        workDir,
        accessLog: () => (existsSync(join(workDir, 'access.log')) ? readFileSync(join(workDir, 'access.log'), 'utf8').split('\n').filter(Boolean) : []),
        close,
      };
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  const log = existsSync(join(workDir, 'error.log')) ? readFileSync(join(workDir, 'error.log'), 'utf8') : '';
  await close();
  throw new Error(`nginx did not start: ${output.join('')}${log}`);
}
