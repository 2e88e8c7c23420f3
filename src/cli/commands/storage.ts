import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { humanBytes } from '../../core/human-size.js';
import { bucketSettings, copyFolderToBucket } from '../../services/storage/storage-copy.service.js';
import { withProgress } from '../progress.js';
import { print, withContext } from './admin.js';

/** `wharf storage copy --to s3`: exit code 1 when any file did not copy or verify. */
export function registerStorageCommands(program: Command, config: () => Config): void {
  const storage = program.command('storage').description('where the crate files live');
  storage
    .command('copy')
    .description('copy the crate files from the data folder to the configured bucket and verify every checksum; safe while servers run, and resumable')
    .requiredOption('--to <store>', 'the store to copy to (only s3)')
    .action(async (opts: { to: string }) => {
      if (opts.to !== 's3') throw new Error(`--to must be s3 (the configured bucket), got \`${opts.to}\``);
      const cfg = config();
      const report = await withProgress('copied', (progress) => withContext(cfg, (ctx) => copyFolderToBucket(ctx, progress)));
      for (const p of report.problems) print(`problem: ${p}`);
      print(
        `${report.files} files in ${cfg.dataDir}: copied ${report.copied} (${humanBytes(report.bytes)}), ${report.skipped} already in the ${report.where}; ` +
          `read back and verified ${report.verified} files against the checksums in the database; ${report.problems.length} problems`,
      );
      if (report.problems.length > 0) {
        print('Fix the problems above and run the copy again (it skips what is already there) before switching.');
        process.exitCode = 1;
        return;
      }
      print('Switch every instance to the bucket with these settings (wharf.toml, or the WHARF_* variables), restarting them one by one:');
      for (const line of bucketSettings(cfg)) print(`  ${line}`);
      print('Then run `wharf storage copy --to s3` once more, for files published by instances that had not switched yet.');
    });
}
