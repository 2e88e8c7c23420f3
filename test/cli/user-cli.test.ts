import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/config.js';
import { findUserByLogin } from '../../src/db/repositories/user.repository.js';
import { verifyPassword } from '../../src/services/password.service.js';
import { createSession, liveSession } from '../../src/services/session.service.js';
import { authenticateToken, createToken } from '../../src/services/token.service.js';
import { complaints, databaseEnv, wharf, wharfOnTerminal } from '../helpers/wharf-process.js';

describe('wharf user: passwords from the command line', () => {
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-user-cli-'));
    env = { WHARF_DATA_DIR: dataDir, WHARF_LOG_LEVEL: 'silent' };
    expect((await wharf(['migrate'], env)).code).toBe(0);
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Runs `check` against the database the CLI wrote. */
  const inDb = async <T>(check: (ctx: ReturnType<typeof openContext>) => Promise<T>): Promise<T> => {
    const { WHARF_DATABASE_URL: databaseUrl } = await databaseEnv(env);
    const ctx = openContext(loadConfig({}, { dataDir, databaseUrl: databaseUrl ?? null }));
    try {
      return await check(ctx);
    } finally {
      await ctx.db.destroy();
    }
  };
  const hashOf = (login: string) => inDb(async (ctx) => (await findUserByLogin(ctx.db, login))?.password_hash ?? null);

  it('user add --password-stdin creates an account that can sign in, hashed at OWASP cost', async () => {
    const r = await wharf(['user', 'add', 'alice', '--admin', '--password-stdin'], env, 'alice has a long password\n');
    expect(complaints(r.stderr)).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('created user alice (id 1, admin, with a password)');
    expect(r.stdout).not.toContain('alice has a long password');
    const hash = (await hashOf('alice'))!;
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$/);
    expect(await verifyPassword('alice has a long password', hash)).toBe(true);
  }, 30_000);

  it('refuses a short password and creates nothing', async () => {
    const r = await wharf(['user', 'add', 'shorty', '--password-stdin'], env, 'short\n');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('a password needs at least 12 characters');
    expect(await inDb((ctx) => findUserByLogin(ctx.db, 'shorty'))).toBeUndefined();
  });

  it('user add without a password says how to set one; there is no default password', async () => {
    const r = await wharf(['user', 'add', 'bob'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('wharf user password bob');
    expect(await hashOf('bob')).toBeNull();
  });

  it('user password reads the new password on stdin and signs the account out everywhere', async () => {
    const session = await inDb(async (ctx) => createSession(ctx, (await findUserByLogin(ctx.db, 'alice'))!.id));
    const r = await wharf(['user', 'password', 'alice'], env, 'a new password for alice\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('set the password of alice');
    const hash = (await hashOf('alice'))!;
    expect(await verifyPassword('a new password for alice', hash)).toBe(true);
    expect(await verifyPassword('alice has a long password', hash)).toBe(false);
    expect(await inDb((ctx) => liveSession(ctx, session))).toBeNull();

    const ghost = await wharf(['user', 'password', 'ghost'], env, 'whatever password\n');
    expect(ghost.code).not.toBe(0);
    expect(ghost.stderr).toContain('no user with the login `ghost`');
  }, 30_000);

  it('user lock refuses the account’s tokens and ends its sessions, even an admin’s; unlock restores the tokens', async () => {
    // alice is an admin: in an incident the operator can lock any account.
    const { token } = await inDb(async (ctx) => createToken(ctx, (await findUserByLogin(ctx.db, 'alice'))!.id, { name: 'ci' }, null));
    const session = await inDb(async (ctx) => createSession(ctx, (await findUserByLogin(ctx.db, 'alice'))!.id));

    const locked = await wharf(['user', 'lock', 'alice'], env);
    expect(complaints(locked.stderr)).toBe('');
    expect(locked.stdout).toContain('locked alice');
    await expect(inDb((ctx) => authenticateToken(ctx, token))).rejects.toThrow('the account `alice` is locked');
    expect(await inDb((ctx) => liveSession(ctx, session))).toBeNull();
    const audit = await inDb((ctx) => ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'user.lock').execute());
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.detail ?? '{}')).toMatchObject({ login: 'alice', via: expect.stringContaining('cli') });

    expect((await wharf(['user', 'unlock', 'alice'], env)).stdout).toContain('unlocked alice');
    expect((await inDb((ctx) => authenticateToken(ctx, token))).login).toBe('alice');

    const ghost = await wharf(['user', 'lock', 'ghost'], env);
    expect(ghost.code).not.toBe(0);
    expect(ghost.stderr).toContain('no user with the login `ghost`');
  }, 30_000);

  it('user list shows every account; --json gives the same as data', async () => {
    const r = await wharf(['user', 'list'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^LOGIN +ROLE +STATE +SIGN-IN +CREATED +EMAIL$/m);
    expect(r.stdout).toMatch(/^alice +admin +active +password +\d{4}-\d{2}-\d{2}$/m);
    expect(r.stdout).toMatch(/^bob +user +active +no password +\d{4}-\d{2}-\d{2}$/m);
    expect(r.stdout).toMatch(/^2 accounts$/m);
    const json = JSON.parse((await wharf(['user', 'list', '--json'], env)).stdout) as { login: string }[];
    expect(json.map((a) => a.login)).toEqual(['alice', 'bob']);
  });

  it('user reset-password prints a single-use link for the admin to pass on', async () => {
    const r = await wharf(['user', 'reset-password', 'bob'], env);
    expect(complaints(r.stderr)).toBe('');
    expect(r.stdout).toMatch(/^Give this link to bob through a channel you trust; it works once, until \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC:$/m);
    expect(r.stdout).toMatch(/^http:\/\/127\.0\.0\.1:8000\/reset-password\/[A-Za-z0-9_-]{43}$/m);
  });

  it('user delete asks for the login on a terminal, refuses scripts without --yes, and deletes with it', async () => {
    const script = await wharf(['user', 'delete', 'bob'], env);
    expect(script.code).not.toBe(0);
    expect(script.stderr).toContain('this deletes the account `bob`; add --yes to confirm');
    const wrong = await wharfOnTerminal(['user', 'delete', 'bob'], env, 'alice\n');
    expect(wrong.screen).toContain('Type the login to go on:');
    expect(wrong.screen).toContain('not confirmed: nothing was deleted');
    expect(wrong.code).not.toBe(0);
    expect(await inDb((ctx) => findUserByLogin(ctx.db, 'bob'))).toBeDefined();

    const done = await wharfOnTerminal(['user', 'delete', 'bob'], env, 'bob\n');
    expect(done.code).toBe(0);
    expect(done.screen).toContain('deleted the account bob: revoked 0 token(s), ended its sessions');
    expect(await inDb((ctx) => findUserByLogin(ctx.db, 'bob'))).toBeUndefined();
    const again = await wharf(['user', 'delete', 'bob', '--yes'], env);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('no user with the login `bob`');
  });

  it('states the password rule before the password is typed on a terminal', async () => {
    const r = await wharfOnTerminal(['user', 'password', 'alice'], env, 'short\nshort\n');
    expect(r.screen).toMatch(/The password needs at least 12 characters \(at most 1024\) and must not be the login\.[\s\S]*New password:/);
    expect(r.screen).toContain('a password needs at least 12 characters');
    expect(r.code).not.toBe(0);
  });
  it('user add --email leaves the address unverified; user verify-email vouches for it, audited', async () => {
    const added = await wharf(['user', 'add', 'mallory', '--email', 'mallory@example.com'], env);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('mallory@example.com is unverified until its owner follows the link mailed to it');
    const verifiedAt = () => inDb(async (ctx) => (await findUserByLogin(ctx.db, 'mallory'))?.email_verified_at ?? null);
    expect(await verifiedAt()).toBeNull();
    const r = await wharf(['user', 'verify-email', 'mallory'], env);
    expect(complaints(r.stderr)).toBe('');
    expect(r.stdout).toContain('marked mallory@example.com of mallory verified');
    expect(await verifiedAt()).not.toBeNull();
    const audit = await inDb((ctx) => ctx.db.selectFrom('audit_log').select('detail').where('action', '=', 'user.verify_email').execute());
    expect(audit.map((a) => JSON.parse(a.detail!).login)).toEqual(['mallory']);
    const none = await wharf(['user', 'verify-email', 'nobody'], env);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('no user `nobody`');
  }, 60_000);
  it('user reset-factors removes every second factor of an account, audited, and leaves the notice for the next sign-in', async () => {
    const aliceId = await inDb(async (ctx) => (await findUserByLogin(ctx.db, 'alice'))!.id);
    await inDb(async (ctx) => {
      const now = new Date().toISOString();
      await ctx.db.insertInto('user_totp').values({ user_id: aliceId, secret: 'v1.x.y.z', confirmed_at: now, last_step: null, created_at: now }).execute();
      await ctx.db
        .insertInto('webauthn_credentials')
        .values({ user_id: aliceId, credential_id: 'abc', public_key: 'def', counter: 0, transports: '[]', name: 'key', created_at: now, last_used_at: null })
        .execute();
      await ctx.db.insertInto('recovery_codes').values({ user_id: aliceId, code_hash: 'h', used_at: null, created_at: now }).execute();
    });
    const r = await wharf(['user', 'reset-factors', 'alice'], env);
    expect(complaints(r.stderr)).toBe('');
    expect(r.stdout).toContain('reset the second factors of alice: 1 authenticator app, 1 passkeys, 1 recovery codes removed');
    const left = await inDb(async (ctx) => ({
      totp: await ctx.db.selectFrom('user_totp').selectAll().execute(),
      keys: await ctx.db.selectFrom('webauthn_credentials').selectAll().execute(),
      codes: await ctx.db.selectFrom('recovery_codes').selectAll().execute(),
      notice: await ctx.db.selectFrom('factor_resets').selectAll().execute(),
      audit: await ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'user.factor_reset').execute(),
    }));
    expect([left.totp, left.keys, left.codes]).toEqual([[], [], []]);
    expect(left.notice.map((n) => n.user_id)).toEqual([aliceId]);
    expect(JSON.parse(left.audit[0]!.detail ?? '{}')).toMatchObject({ login: 'alice', method: 'all', via: expect.stringContaining('cli') });

    const ghost = await wharf(['user', 'reset-factors', 'ghost'], env);
    expect(ghost.code).not.toBe(0);
    expect(ghost.stderr).toContain('no user with the login `ghost`');
  }, 30_000);
});
