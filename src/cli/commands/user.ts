import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { createPasswordReset, deleteAccount, PASSWORD_RESET_HOURS } from '../../services/account-lifecycle.service.js';
import { createAccount, listAccounts, setLocked, setPassword } from '../../services/account.service.js';
import { confirmByTyping } from './confirm.js';
import { verifyEmailByOperator } from '../../services/mail/email-verification.service.js';
import { createSso } from '../../services/identity/sso.js';
import { syncOidcIdentities } from '../../services/identity/oidc-sync.service.js';
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
    .command('sync-oidc')
    .description('ask the single sign-on provider about every linked identity; lock the accounts it no longer allows (exit code 1 when any check failed)')
    .action(async () => {
      const outcomes = await withContext(config(), async (ctx) => {
        const sso = createSso(ctx);
        if (!sso) throw new Error('single sign-on is not configured (oidc_issuer)');
        return syncOidcIdentities(ctx, sso);
      });
      for (const o of outcomes) print(`${o.result.padEnd(9)} ${o.login}: ${o.detail}`);
      const count = (r: string) => outcomes.filter((o) => o.result === r).length;
      print(`${outcomes.length} identities: ${count('ok')} allowed, ${count('locked')} locked, ${count('unchecked')} not checkable, ${count('failed')} failed`);
      if (count('failed') > 0) process.exitCode = 1;
    });

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

  user
    .command('list')
    .description('list the accounts: login, role, state, password, creation date')
    .option('--json', 'print JSON, one array of accounts')
    .action(async (opts: { json?: boolean }) => {
      const accounts = await withContext(config(), (ctx) => listAccounts(ctx));
      if (opts.json) return print(JSON.stringify(accounts));
      const rows = accounts.map((a) => [a.login, a.isAdmin ? 'admin' : 'user', a.lockedAt ? 'locked' : 'active', a.hasPassword ? 'password' : 'no password', a.createdAt.slice(0, 10), a.email ?? '']);
      printTable(['LOGIN', 'ROLE', 'STATE', 'SIGN-IN', 'CREATED', 'EMAIL'], rows);
      print(`${accounts.length} account${accounts.length === 1 ? '' : 's'}`);
    });

  user
    .command('delete <login>')
    .description('delete an account (refused while it owns crates): its tokens are revoked, its sessions end, its login is free again')
    .option('--yes', 'delete without asking (for scripts); on a terminal the login is asked for instead', false)
    .action(async (login: string, opts: { yes: boolean }) => {
      if (!opts.yes) {
        await confirmByTyping({
          warning: `This deletes the account \`${login}\`: its tokens are revoked, its sessions end, and its name, e-mail and password are erased. It cannot be undone.`,
          expected: login,
          what: 'the login',
          withoutTerminal: `this deletes the account \`${login}\`; add --yes to confirm`,
          notConfirmed: 'not confirmed: nothing was deleted',
        });
      }
      const done = await withContext(config(), (ctx) => deleteAccount(ctx, { actor: null, via: operator() }, login));
      print(`deleted the account ${done.login}: revoked ${done.revokedTokens} token(s), ended its sessions; the login \`${done.login}\` is free again`);
    });

  user
    .command('reset-password <login>')
    .description(`print a single-use link (valid ${PASSWORD_RESET_HOURS} hours) with which the user sets a new password`)
    .action(async (login: string) => {
      const link = await withContext(config(), (ctx) => createPasswordReset(ctx, { actor: null, via: operator() }, login));
      print(`Give this link to ${link.login} through a channel you trust; it works once, until ${link.expiresAt.replace('T', ' ').slice(0, 16)} UTC:`);
      print(link.url);
      print('Any earlier reset link of the account no longer works. Setting the password signs the account out everywhere.');
    });
}

/** Columns padded to their widest cell; the last column is not padded. */
function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const row of [header, ...rows]) print(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}
