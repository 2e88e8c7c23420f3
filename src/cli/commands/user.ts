import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { createAccount, setLocked, setPassword } from '../../services/account.service.js';
import { resetFactors } from '../../services/factors/factors.service.js';
import { print, requireUser, withContext } from './admin.js';
import { readNewPassword, readSecretFromStdin } from './read-secret.js';
import { operator } from './token.js';

export function registerUserCommands(program: Command, config: () => Config): void {
  const user = program.command('user').description('manage accounts');
  user
    .command('add <login>')
    .description('create an account; with --password-stdin it can also sign in on the web')
    .option('--admin', 'make the account an administrator', false)
    .option('--email <email>', 'email address')
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
    .command('reset-factors <login>')
    .description('remove every second factor of an account (app, passkeys, recovery codes), for a user who lost them; audited, and the user is told at the next sign-in')
    .action(async (login: string) => {
      const removed = await withContext(config(), (ctx) => resetFactors(ctx, { actor: null, via: operator() }, login));
      print(`reset the second factors of ${login}: ${removed.totp} authenticator app, ${removed.passkeys} passkeys, ${removed.recoveryCodes} recovery codes removed`);
    });

  user
    .command('password <login>')
    .description('set the password of an account (typed twice on a terminal, or read from stdin); ends its sessions')
    .action(async (login: string) => {
      const password = await readNewPassword();
      await withContext(config(), async (ctx) => setPassword(ctx, (await requireUser(ctx, login)).id, password, { actor: null, via: operator() }));
      print(`set the password of ${login}; every session of the account was signed out`);
    });
}
