import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { createAccount, setLocked, setPassword } from '../../services/account.service.js';
import { verifyEmailByOperator } from '../../services/mail/email-verification.service.js';
import { print, requireUser, withContext } from './admin.js';
import { readNewPassword, readSecretFromStdin } from './read-secret.js';
import { operator } from './token.js';

export function registerUserCommands(program: Command, config: () => Config): void {
  const user = program.command('user').description('manage accounts');
  user
    .command('add <login>')
    .description('create an account; with --password-stdin it can also sign in on the web')
    .option('--admin', 'make the account an administrator', false)
    .option('--email <email>', 'e-mail address (unverified until its owner follows the link mailed to it, or `wharf user verify-email`)')
    .option('--name <name>', 'display name')
    .option('--password-stdin', 'read the password from stdin (at least 12 characters)', false)
    .action(async (login: string, opts: { admin: boolean; email?: string; name?: string; passwordStdin: boolean }) => {
      // Read before opening the database, so a refused password leaves nothing behind.
      const password = opts.passwordStdin ? await readSecretFromStdin() : null;
      const row = await withContext(config(), (ctx) =>
        createAccount(ctx, { login, isAdmin: opts.admin, email: opts.email ?? null, name: opts.name ?? null, password }, { actor: null, via: operator() }),
      );
      print(`created user ${row.login} (id ${row.id}${row.is_admin ? ', admin' : ''}${password !== null ? ', with a password' : ''})`);
      if (password === null) print(`set a password to sign in on the web: wharf user password ${row.login}`);
      if (row.email) print(`${row.email} is unverified until its owner follows the link mailed to it (or: wharf user verify-email ${row.login})`);
    });

  user
    .command('verify-email <login>')
    .description("mark the account's e-mail address verified without the mailed link (audited); it then receives notices")
    .action(async (login: string) => {
      const { email } = await withContext(config(), (ctx) => verifyEmailByOperator(ctx, login, operator()));
      print(`marked ${email} of ${login} verified`);
    });

  for (const [command, locked] of [
    ['lock', true],
    ['unlock', false],
  ] as const) {
    user
      .command(`${command} <login>`)
      .description(
        locked
          ? 'lock an account: its tokens are refused at once, its sessions end and it cannot sign in (its tokens stay; unlock restores them)'
          : 'unlock an account: it can sign in again and its unrevoked tokens work again',
      )
      .action(async (login: string) => {
        const row = await withContext(config(), (ctx) => setLocked(ctx, { actor: null, via: operator() }, login, locked));
        print(locked ? `locked ${row.login}: its tokens are refused and its sessions have ended` : `unlocked ${row.login}`);
      });
  }

  user
    .command('password <login>')
    .description('set the password of an account (typed twice on a terminal, or read from stdin); ends its sessions')
    .action(async (login: string) => {
      const password = await readNewPassword();
      await withContext(config(), async (ctx) => setPassword(ctx, (await requireUser(ctx, login)).id, password, { actor: null, via: operator() }));
      print(`set the password of ${login}; every session of the account was signed out`);
    });
}
