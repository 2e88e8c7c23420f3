import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { createStaticIndex } from '../../services/static-index/static-index.service.js';
import { print, withContext } from './admin.js';

/** `wharf static rebuild`: the static copy of the index (a folder or a bucket) written whole from the database. */
export function registerStaticCommands(program: Command, config: () => Config): void {
  const group = program.command('static').description('the static copy of the index that nginx or a CDN serves (static_index_dir or static_index_bucket)');
  group
    .command('rebuild')
    .description('write every crate\'s index file, its .gz and config.json from the database, and remove the files of crates that no longer exist')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }) => {
      const report = await withContext(config(), async (ctx) => {
        const writer = createStaticIndex(ctx);
        if (!writer) throw new Error('no static copy is configured: set static_index_dir or static_index_bucket (WHARF_STATIC_INDEX_DIR, WHARF_STATIC_INDEX_BUCKET)');
        const failures: string[] = [];
        writer.setLog({ info: () => undefined, warn: () => undefined, error: (obj, msg) => failures.push(`${msg}: ${String((obj as { err?: Error }).err?.message)}`) });
        try {
          const result = await writer.sync({ rewrite: true });
          await writer.idle();
          if (failures.length > 0) throw new Error(failures.join('\n'));
          return { target: writer.target.describe, ...result };
        } finally {
          writer.close();
        }
      });
      if (opts.json) return print(JSON.stringify(report));
      for (const path of report.removed) print(`removed: ${path}`);
      for (const path of report.foreign) print(`left alone (not a file the static copy writes): ${path}`);
      print(`wrote the index files of ${report.written} crates and config.json to ${report.target}; removed ${report.removed.length} files`);
    });
}
