import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { mirrorStatus, removeFromMirror } from '../../services/mirror/mirror-admin.service.js';
import { createMirror, type Progress } from '../../services/mirror/mirror.js';
import { syncMirror } from '../../services/mirror/mirror-sync.service.js';
import { exportMirror, importMirror } from '../../services/mirror/mirror-transfer.service.js';
import { print, withContext } from './admin.js';

const collect = (value: string, list: string[]): string[] => [...list, value];

const readLockfiles = (paths: string[]) =>
  paths.map((path) => {
    try {
      return { path, text: readFileSync(path, 'utf8') };
    } catch (err) {
      throw new Error(`cannot read the lockfile ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  });

/** `wharf mirror status | sync | export | import | remove`: the mirror's cache, ahead of time and across an air gap. */
export function registerMirrorCommands(program: Command, config: () => Config): void {
  const mirror = program.command('mirror').description('the mirror of an upstream registry (crates.io) under /mirror/');

  mirror
    .command('status')
    .description('what the mirror holds, how big, and how fresh')
    .option('--json', 'print the status as JSON')
    .action(async (opts: { json?: boolean }) => {
      const status = await withContext(config(), mirrorStatus);
      if (opts.json) return print(JSON.stringify(status));
      print(`upstream: ${status.upstream ?? 'none'}${status.offline ? ' (offline: never contacted)' : ''}; index files revalidated after ${status.ttlSeconds} s`);
      print(`cached: ${status.indexFiles} index files, ${status.crateFiles} .crate files (${formatBytes(status.crateBytes)}), downloaded ${status.downloads} times`);
      print(`last revalidations: oldest ${status.oldestCheck ?? 'never'}, newest ${status.newestCheck ?? 'never'}`);
      for (const v of status.vanished) print(`vanished upstream (answered ${v.status}), still served: ${v.name}`);
    });

  mirror
    .command('sync')
    .description('fetch ahead of time what lockfiles or crates need (with --crate: every matching version and what its dependencies can resolve to)')
    .option('--lockfile <path>', 'a Cargo.lock whose registry packages to fetch (repeatable)', collect, [])
    .option('--crate <name[@req]>', 'a crate, or the versions matching a requirement (repeatable)', collect, [])
    .action(async (opts: { lockfile: string[]; crate: string[] }) => {
      if (opts.lockfile.length === 0 && opts.crate.length === 0) throw new Error('name what to sync: --lockfile PATH or --crate NAME[@REQ]');
      const lockfiles = readLockfiles(opts.lockfile);
      const report = await withContext(config(), async (ctx) => {
        const m = createMirror(ctx);
        if (!m) throw new Error('no mirror is configured: set mirror_upstream');
        return syncMirror(m, { lockfiles, crates: opts.crate }, progressLine('synced'));
      });
      endProgress();
      for (const failure of report.failures) print(`failed: ${failure}`);
      print(`synced ${report.versions} versions: ${report.fetched} fetched now (${formatBytes(report.bytes)}), ${report.versions - report.fetched} already cached, ${report.failures.length} failed`);
      if (report.failures.length > 0) process.exitCode = 1;
    });

  mirror
    .command('export <dir>')
    .description('write what is cached (or only what the lockfiles need) to a new or empty folder, to carry across an air gap')
    .option('--lockfile <path>', 'export only what this Cargo.lock needs (repeatable)', collect, [])
    .action(async (dir: string, opts: { lockfile: string[] }) => {
      const lockfiles = readLockfiles(opts.lockfile);
      const report = await withContext(config(), (ctx) => exportMirror(ctx, resolve(dir), lockfiles, progressLine('exported')));
      endProgress();
      print(`exported ${report.indexFiles} index files and ${report.crateFiles} .crate files (${formatBytes(report.bytes)}) to ${resolve(dir)}`);
    });

  mirror
    .command('import <dir>')
    .description('verify an exported folder and load it into this Wharf (run again to resume)')
    .action(async (dir: string) => {
      const report = await withContext(config(), (ctx) => importMirror(ctx, resolve(dir), progressLine('imported')));
      endProgress();
      print(`imported ${report.indexFiles} index files and ${report.crateFiles} .crate files (${formatBytes(report.bytes)}); ${report.alreadyPresent} already present`);
    });

  mirror
    .command('remove <spec>')
    .description('drop a crate (NAME) or one version (NAME@VERSION) from the mirror, e.g. one that vanished upstream')
    .action(async (spec: string) => {
      const removed = await withContext(config(), (ctx) => removeFromMirror(ctx, spec));
      print(`removed ${removed.crateFiles} .crate files${removed.indexFile ? ' and the index file' : ''} of ${spec}`);
    });
}

let progressShown = false;

/** On a terminal, one line rewritten in place: files, bytes, rate and (when the total is known) ETA. */
function progressLine(verb: string): Progress {
  if (!process.stderr.isTTY) return () => undefined;
  const started = Date.now();
  return ({ files, bytes, total }, current) => {
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const eta = total !== null && files > 0 ? `, ETA ${Math.ceil(((total - files) * seconds) / files)} s` : '';
    const of = total !== null ? `/${total}` : '';
    process.stderr.write(`\r\x1b[K${verb} ${files}${of} files, ${formatBytes(bytes)}, ${formatBytes(bytes / seconds)}/s${eta} (${current})`);
    progressShown = true;
  };
}

function endProgress(): void {
  if (progressShown) process.stderr.write('\n');
  progressShown = false;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
