import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { createUser } from '../../services/user.service.js';
import { print, withContext } from './admin.js';

export function registerUserCommands(program: Command, config: () => Config): void {
  const user = program.command('user').description('manage accounts');
  user
    .command('add <login>')
    .description('create an account (no password: sign-in is by API token until a password is set)')
    .option('--admin', 'make the account an administrator', false)
    .option('--email <email>', 'email address')
    .option('--name <name>', 'display name')
    .action(async (login: string, opts: { admin: boolean; email?: string; name?: string }) => {
      const row = await withContext(config(), (ctx) => createUser(ctx, { login, isAdmin: opts.admin, email: opts.email ?? null, name: opts.name ?? null }));
      print(`created user ${row.login} (id ${row.id}${row.is_admin ? ', admin' : ''})`);
    });
}
