import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { ENDPOINT_SCOPES, parseCratePatterns, parseScopes } from '../../core/scopes.js';
import { checkRevokeReason, createToken, inspectToken, listTokens, revokeAllTokens, revokeToken, type TokenView } from '../../services/token.service.js';
import { print, requireUser, withContext } from './admin.js';

/** The server account that ran an admin command, for the audit trail. */
export function operator(): string {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (some containers)
  }
  return `cli:${name}`;
}

function describe(t: TokenView): string {
  const expiry = t.expires_at ? `expires ${t.expires_at}` : 'no expiry';
  const state = t.state === 'revoked' ? `revoked ${t.revoked_at} (${t.revoked_reason ?? 'no reason'})` : t.state;
  return `#${t.id}  ${t.name}  [${t.endpoint_scopes.join(',')}]  crates: ${t.crate_scopes.join(',')}  ${expiry}  last used: ${t.last_used_at ?? 'never'}  ${state}`;
}

export function registerTokenCommands(program: Command, config: () => Config): void {
  const token = program.command('token').description('manage API tokens');

  token
    .command('create <login>')
    .description('create an API token; it is printed once, alone on the last line')
    .requiredOption('--name <name>', 'what the token is for')
    .option('--scopes <list>', `comma-separated endpoint scopes (${ENDPOINT_SCOPES.join(',')})`, ENDPOINT_SCOPES.join(','))
    .option('--crates <patterns>', "comma-separated crate names or prefixes ending in * ('foo*,bar')", '*')
    .option('--expires-in-days <days>', 'days until the token expires (default: never)')
    .action(async (login: string, opts: { name: string; scopes: string; crates: string; expiresInDays?: string }) => {
      const scopes = parseScopes(opts.scopes);
      const cratePatterns = parseCratePatterns(opts.crates);
      const expiresInDays = opts.expiresInDays === undefined ? null : Number(opts.expiresInDays);
      const { token: secret, view } = await withContext(config(), async (ctx) => {
        const user = await requireUser(ctx, login);
        return createToken(ctx, user.id, { name: opts.name, scopes, cratePatterns, expiresInDays }, null);
      });
      print(`created token #${view.id} "${view.name}" for ${login}: scopes ${view.endpoint_scopes.join(',')}; crates ${view.crate_scopes.join(',')}; ${view.expires_at ? `expires ${view.expires_at}` : 'no expiry'}`);
      print('It is shown only this once. Use it with `cargo login --registry <name>`:');
      print(secret);
    });

  token
    .command('list <login>')
    .description("list a user's tokens (never the secrets)")
    .action(async (login: string) => {
      const views = await withContext(config(), async (ctx) => listTokens(ctx, (await requireUser(ctx, login)).id));
      if (views.length === 0) print(`${login} has no tokens`);
      for (const v of views) print(describe(v));
    });

  token
    .command('revoke <id>')
    .description('revoke one token')
    .option('--reason <reason>', 'shown to whoever uses the token afterwards', 'revoked by an administrator')
    .action(async (id: string, opts: { reason: string }) => {
      const asked = new Date().toISOString();
      const view = await withContext(config(), (ctx) => revokeToken(ctx, { actor: null, via: operator() }, Number(id), opts.reason));
      // Revoking is idempotent: a token revoked before keeps its first date and reason, and says so.
      if (view.revoked_at !== null && view.revoked_at < asked) print(`token #${view.id} was already revoked on ${view.revoked_at.slice(0, 10)} (${view.revoked_reason}); nothing changed`);
      else print(describe(view));
    });

  token
    .command('revoke-all')
    .description("revoke every live token of the registry (the incident switch), or of one user")
    .requiredOption('--reason <reason>', 'shown to whoever uses a revoked token')
    .option('--user <login>', 'only this user')
    .option('--yes', "revoke every token of the registry without asking (for scripts); on a terminal the registry's name is asked for instead", false)
    .action(async (opts: { reason: string; user?: string; yes: boolean }) => {
      const cfg = config();
      checkRevokeReason(opts.reason);
      if (!opts.user && !opts.yes) await confirmRegistryWide(cfg.registryName);
      const count = await withContext(cfg, async (ctx) => {
        const userId = opts.user ? (await requireUser(ctx, opts.user)).id : undefined;
        return revokeAllTokens(ctx, { actor: null, via: operator() }, { userId }, opts.reason);
      });
      print(`revoked ${count} token(s)${opts.user ? ` of ${opts.user}` : ' (every token of the registry)'}`);
    });

  token
    .command('verify')
    .description('read a token on stdin and tell whose it is, its scopes and state (it is never printed back)')
    .action(async () => {
      const input = await readStdin();
      const result = await withContext(config(), (ctx) => inspectToken(ctx, input));
      if (!result.wellFormed) throw new Error('not a Wharf token: wrong shape or checksum (mistyped or invented)');
      if (!result.found) throw new Error('a well-formed token, but not one this registry issued (or its database was replaced)');
      print(`token of ${result.login}: ${describe(result.view)}`);
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (chunks.reduce((n, c) => n + c.length, 0) > 4096) throw new Error('expected one token on stdin');
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The registry-wide incident switch signs every user and every CI job out at once: on a terminal
 * the operator types the registry's name to go on; anywhere else it needs `--yes`.
 */
async function confirmRegistryWide(registryName: string): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new Error('this revokes every token of the registry; add --yes to confirm (or --user <login> for one account)');
  }
  const answer = await promptLine(`This revokes every live token of the registry \`${registryName}\`: every user and CI job must make a new one.\nType the registry's name to go on: `);
  if (answer.trim() !== registryName) throw new Error('not confirmed: nothing was revoked');
}

export function promptLine(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer);
    });
  });
}
