import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { checkRegistry, type CheckReport, MISSING_FILE_ADVICE, type ProblemKind, WRONG_FILE_ADVICE } from '../../services/check.service.js';
import { withProgress } from '../progress.js';
import { print, withContext } from './admin.js';

const LABELS: Record<ProblemKind, string> = {
  'missing-file': 'missing file',
  'wrong-file': 'wrong file',
  index: 'index',
  orphan: 'orphan',
  static: 'static index',
};

/** `wharf check [--repair] [--grace-minutes N] [--json]`: exit code 1 when any inconsistency remains. */
export function registerCheckCommand(program: Command, config: () => Config): void {
  program
    .command('check')
    .description("check that the database and the crate files agree; exit code 1 when they do not")
    .option('--repair', 'remove orphan files past the grace period and have servers re-render index files (nothing else is changed)')
    .option('--grace-minutes <n>', 'orphan files younger than this are publishes in flight, not inconsistencies', '60')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { repair?: boolean; graceMinutes: string; json?: boolean }) => {
      const minutes = Number(opts.graceMinutes);
      if (!Number.isFinite(minutes) || minutes < 0) throw new Error('--grace-minutes must be a number of minutes, 0 or more');
      const graceMs = minutes * 60_000;
      const report = await withProgress('checked', (progress) => withContext(config(), (ctx) => checkRegistry(ctx, { graceMs, repair: opts.repair ?? false }, progress)));
      if (opts.json) print(JSON.stringify(report));
      else printReport(report, minutes, opts.repair ?? false);
      if (report.problems.length > 0) process.exitCode = 1;
    });
}

function printReport(report: CheckReport, graceMinutes: number, repair: boolean): void {
  for (const p of report.problems) print(`${LABELS[p.kind]}: ${p.message}`);
  for (const key of report.removed) print(`removed orphan: ${key}`);
  const counts = (Object.keys(LABELS) as ProblemKind[]).map((k) => `${report.problems.filter((p) => p.kind === k).length} ${LABELS[k]}`);
  print(
    `checked ${report.crates} crates, ${report.versions} versions and ${report.files} files: ` +
      `${report.problems.length} inconsistencies (${counts.join(', ')}); ` +
      `${report.youngOrphans.length} orphan files younger than the grace period of ${graceMinutes} minutes (publishes in flight, left alone)` +
      (repair ? `; removed ${report.removed.length} orphan files and asked servers to re-render every index file` : ''),
  );
  if (report.problems.some((p) => p.kind === 'missing-file')) print(MISSING_FILE_ADVICE);
  if (report.problems.some((p) => p.kind === 'wrong-file')) print(WRONG_FILE_ADVICE);
  if (!repair && report.problems.some((p) => p.kind === 'orphan')) print('Run `wharf check --repair` to remove the orphan files.');
  if (report.problems.some((p) => p.kind === 'static')) print('Run `wharf static rebuild` to write the static copy of the index again from the database.');
}
