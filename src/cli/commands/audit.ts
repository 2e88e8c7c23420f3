import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { listAudit } from '../../db/repositories/audit.repository.js';
import { print, requireUser, withContext } from './admin.js';

export function registerAuditCommand(program: Command, config: () => Config): void {
  program
    .command('audit')
    .description('print the audit log, newest first: who did what, with which token id')
    .option('--user <login>', 'only events of this user')
    .option('--action <action>', 'only this action (e.g. crate.publish, token.revoke_all)')
    .option('--crate <name>', 'only events about this crate')
    .option('--since <date>', 'only events at or after this ISO date')
    .option('--limit <n>', 'at most this many events', '100')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { user?: string; action?: string; crate?: string; since?: string; limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit must be a positive integer');
      if (opts.since && Number.isNaN(Date.parse(opts.since))) throw new Error('--since must be a date such as 2026-01-31');
      const rows = await withContext(config(), async (ctx) => {
        const userId = opts.user ? (await requireUser(ctx, opts.user)).id : undefined;
        const since = opts.since ? new Date(opts.since).toISOString() : undefined;
        return listAudit(ctx.db, { userId, action: opts.action, crateName: opts.crate, since, limit });
      });
      for (const r of rows) {
        if (opts.json) {
          print(JSON.stringify({ ...r, detail: r.detail ? (JSON.parse(r.detail) as unknown) : null }));
          continue;
        }
        const target = r.crate_name ? ` ${r.crate_name}${r.version ? `@${r.version}` : ''}` : '';
        const token = r.token_id !== null ? ` token #${r.token_id}` : '';
        print(`${r.created_at}  ${r.action}${target}  by ${r.login ?? '(server admin)'}${token}${r.detail ? `  ${r.detail}` : ''}`);
      }
      if (rows.length === 0) print('no matching events');
    });
}
