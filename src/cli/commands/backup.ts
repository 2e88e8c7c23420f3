import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { backupRegistry } from '../../services/backup.service.js';
import { restoreRegistry } from '../../services/restore.service.js';
import { humanBytes } from '../../core/human-size.js';
import { withProgress } from '../progress.js';
import { print, withContext } from './admin.js';

/** `wharf backup <dir>` (while servers run) and `wharf restore <dir> [--force]` (refused while any runs). */
export function registerBackupCommands(program: Command, config: () => Config): void {
  program
    .command('backup <dir>')
    .description('write a consistent copy of the database and the crate files to an empty folder; safe while servers run')
    .action(async (dir: string) => {
      const target = resolve(dir);
      const { manifest, problems } = await withProgress('copied', (progress) => withContext(config(), (ctx) => backupRegistry(ctx, target, progress)));
      for (const p of problems) print(`warning: ${p}`);
      print(
        `backed up ${manifest.crates} crates, ${manifest.versions} versions and ${manifest.files.length} files (${humanBytes(manifest.bytes)}) ` +
          `with the ${manifest.database === 'postgres' ? 'PostgreSQL database (pg_dump)' : 'SQLite database'} to ${target}`,
      );
      if (problems.length > 0) {
        print('The registry has inconsistencies (see `wharf check`); the backup holds what was found.');
        process.exitCode = 1;
      }
    });

  program
    .command('restore <dir>')
    .description('restore a backup into the configured data directory and database (refused while a server uses them)')
    .option('--force', 'replace a registry that is not empty (it is kept as a backup in the data directory, not deleted)')
    .action(async (dir: string, opts: { force?: boolean }) => {
      const cfg = config();
      const { manifest, replaced } = await withProgress('restore:', (progress) => restoreRegistry(cfg, resolve(dir), { force: opts.force ?? false }, progress));
      if (replaced) {
        print(`the registry that was there (its ${cfg.databaseUrl ? 'PostgreSQL dump' : 'SQLite database'} and crate files) is kept in ${replaced}`);
        print(`to undo this restore: wharf restore --force ${replaced}`);
        print(`once you no longer need it, delete it: rm -r '${replaced}'`);
      }
      print(
        `restored ${manifest.crates} crates, ${manifest.versions} versions and ${manifest.files.length} files from the backup of ${manifest.created_at} ` +
          `into ${cfg.dataDir}${cfg.databaseUrl ? ' and the PostgreSQL database' : ''}; run \`wharf check\` to confirm`,
      );
    });
}
