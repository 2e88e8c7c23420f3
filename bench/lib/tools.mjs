// Installs what the benchmarks need (nginx-light and wrk from Debian, Verdaccio from npm into
// bench/.verdaccio) and builds Wharf into a private directory, so a rebuild of dist/ by someone
// else in the same checkout cannot change the program under measurement halfway through.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, runOk, say } from './util.mjs';

export const BENCH_DIR = join(import.meta.dirname, '..');
export const ROOT = join(BENCH_DIR, '..');
export const VERDACCIO_DIR = join(BENCH_DIR, '.verdaccio');
// The newest Verdaccio that still runs on Node 20 (6.9 and later need Node 22).
export const VERDACCIO_VERSION = '6.8.0';
export const BUILD_DIR = join(BENCH_DIR, '.build', 'dist');

async function has(command) {
  return (await run('sh', ['-c', `command -v ${command}`])).code === 0;
}

export async function ensureSystemTools() {
  const missing = [];
  if (!(await has('nginx')) && !existsSync('/usr/sbin/nginx')) missing.push('nginx-light');
  if (!(await has('wrk'))) missing.push('wrk');
  if (missing.length > 0) {
    if (process.getuid?.() !== 0) {
      throw new Error(`missing ${missing.join(', ')}; run as root or install them first: apt-get install -y ${missing.join(' ')}`);
    }
    say(`installing ${missing.join(', ')} with apt-get`);
    await runOk('apt-get', ['update', '-qq']);
    await runOk('apt-get', ['install', '-y', '-qq', ...missing], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  const nginx = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
  const version = (await run(nginx, ['-v'])).stderr.trim();
  const wrkVersion = (await run('wrk', ['-v'])).stdout.split('\n')[0]?.trim() ?? '';
  return { nginx, nginxVersion: version.replace(/^nginx version: /, ''), wrkVersion, taskset: await has('taskset'), cargo: await has('cargo') };
}

/** Verdaccio in its own npm prefix, never in the repository's node_modules. */
export async function ensureVerdaccio() {
  const bin = join(VERDACCIO_DIR, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
  const pkg = join(VERDACCIO_DIR, 'node_modules', 'verdaccio', 'package.json');
  if (existsSync(bin) && JSON.parse(readFileSync(pkg, 'utf8')).version === VERDACCIO_VERSION) return bin;
  say(`installing verdaccio ${VERDACCIO_VERSION} into bench/.verdaccio`);
  mkdirSync(VERDACCIO_DIR, { recursive: true });
  writeFileSync(
    join(VERDACCIO_DIR, 'package.json'),
    JSON.stringify(
      {
        name: 'wharf-bench-verdaccio',
        private: true,
        description: 'Verdaccio, installed by bench/run.mjs to compare Wharf with a peer registry; never part of Wharf.',
        dependencies: { verdaccio: VERDACCIO_VERSION },
        // node-fetch is pinned to one release everywhere in the tree, for a reproducible install.
        overrides: { 'node-fetch': '2.7.0' },
      },
      null,
      2,
    ) + '\n',
  );
  await runOk('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: VERDACCIO_DIR });
  return bin;
}

/** Compiles src/ into bench/.build/dist with the project's own compiler settings. */
export async function buildWharf() {
  say('building Wharf into bench/.build/dist');
  await runOk(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', BUILD_DIR], { cwd: ROOT });
  // The build reads its version from the package.json beside its dist/, as the real one does.
  copyFileSync(join(ROOT, 'package.json'), join(BUILD_DIR, '..', 'package.json'));
  return BUILD_DIR;
}
