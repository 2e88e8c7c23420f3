import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { mirrorStatus, removeFromMirror } from '../../services/mirror/mirror-admin.service.js';
import { createMirror } from '../../services/mirror/mirror.js';
import { humanBytes } from '../../core/human-size.js';
import { withProgress } from '../progress.js';
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
      print(`cached: ${status.indexFiles} index files, ${status.crateFiles} .crate files (${humanBytes(status.crateBytes)}), downloaded ${status.downloads} times`);
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
      const report = await withProgress('synced', (progress) =>
        withContext(config(), async (ctx) => {
          const m = createMirror(ctx);
          if (!m) throw new Error('no mirror is configured: set mirror_upstream');
          return syncMirror(m, { lockfiles, crates: opts.crate }, progress);
        }),
      );
      for (const failure of report.failures) print(`failed: ${failure}`);
      print(`synced ${report.versions} versions: ${report.fetched} fetched now (${humanBytes(report.bytes)}), ${report.versions - report.fetched} already cached, ${report.failures.length} failed`);
      if (report.failures.length > 0) process.exitCode = 1;
    });

  mirror
    .command('export <dir>')
    .description('write what is cached (or only what the lockfiles need) to a new or empty folder, to carry across an air gap')
    .option('--lockfile <path>', 'export only what this Cargo.lock needs (repeatable)', collect, [])
    .action(async (dir: string, opts: { lockfile: string[] }) => {
      const lockfiles = readLockfiles(opts.lockfile);
      const report = await withProgress('exported', (progress) => withContext(config(), (ctx) => exportMirror(ctx, resolve(dir), lockfiles, progress)));
      print(`exported ${report.indexFiles} index files and ${report.crateFiles} .crate files (${humanBytes(report.bytes)}) to ${resolve(dir)}`);
    });

  mirror
    .command('import <dir>')
    .description('verify an exported folder and load it into this Wharf (run again to resume)')
    .action(async (dir: string) => {
      const report = await withProgress('imported', (progress) => withContext(config(), (ctx) => importMirror(ctx, resolve(dir), progress)));
      print(`imported ${report.indexFiles} index files and ${report.crateFiles} .crate files (${humanBytes(report.bytes)}); ${report.alreadyPresent} already present`);
    });

  mirror
    .command('remove <spec>')
    .description('drop a crate (NAME) or one version (NAME@VERSION) from the mirror, e.g. one that vanished upstream')
    .action(async (spec: string) => {
      const removed = await withContext(config(), (ctx) => removeFromMirror(ctx, spec));
      print(`removed ${removed.crateFiles} .crate files${removed.indexFile ? ' and the index file' : ''} of ${spec}`);
    });
}
