import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateToken } from '../../src/core/token.js';
import { scanForTokens } from '../helpers/test-app.js';
import { type CliResult, wharf, wharfOnTerminal } from '../helpers/wharf-process.js';

const DAY = 86_400_000;

/** `wharf token ...` and `wharf audit` against one data directory; the steps build on each other. */
describe('wharf token and wharf audit', () => {
  let dataDir: string;
  let env: Record<string, string>;
  const run = (args: string[], input?: string) => wharf(args, env, input);
  const ok = async (args: string[], input?: string): Promise<CliResult> => {
    const r = await run(args, input);
    expect(r.code, `wharf ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r;
  };
  /** Creates a token and returns it with its id, checking the secret appears only on the last line. */
  const create = async (login: string, name: string, extra: string[] = []) => {
    const r = await ok(['token', 'create', login, '--name', name, ...extra]);
    const lines = r.stdout.trimEnd().split('\n');
    const token = lines.at(-1)!;
    expect(token).toMatch(/^wharf_[0-9A-Za-z]{38}$/);
    expect(lines.slice(0, -1).join('\n')).not.toContain(token);
    expect(r.stderr).not.toContain(token);
    const id = Number(/created token #(\d+)/.exec(r.stdout)?.[1]);
    expect(id).toBeGreaterThan(0);
    return { token, id, stdout: r.stdout };
  };
  /** `token verify` with the token on stdin; the token must never be echoed. */
  const verify = async (token: string) => {
    const r = await run(['token', 'verify'], token);
    expect(r.stdout).not.toContain(token);
    expect(r.stderr).not.toContain(token);
    return r;
  };

  let scoped: { token: string; id: number };
  let later: { token: string; id: number };
  let erins: { token: string; id: number };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-token-cli-'));
    env = { WHARF_DATA_DIR: dataDir };
    await ok(['migrate']);
    await ok(['user', 'add', 'dave']);
    await ok(['user', 'add', 'erin']);
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates a scoped, expiring token and lists its scopes, patterns and expiry without the secret', async () => {
    const before = Date.now();
    scoped = await create('dave', 'scoped', ['--scopes', 'publish-update,yank', '--crates', 'alpha*,beta', '--expires-in-days', '7']);
    const list = await ok(['token', 'list', 'dave']);
    expect(list.stdout).not.toContain(scoped.token);
    const line = list.stdout.split('\n').find((l) => l.startsWith(`#${scoped.id} `));
    expect(line).toBeDefined();
    expect(line).toContain('scoped');
    expect(line).toContain('[publish-update,yank]');
    expect(line).toContain('crates: alpha*,beta');
    expect(line).toMatch(/active$/);
    const expires = Date.parse(/expires (\S+)/.exec(line!)?.[1] ?? '');
    expect(expires).toBeGreaterThanOrEqual(before + 7 * DAY - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 7 * DAY);
  });

  it('refuses an unknown scope or a bad crate pattern, creating nothing', async () => {
    const before = (await ok(['token', 'list', 'dave'])).stdout;
    const bogus = await run(['token', 'create', 'dave', '--name', 'x', '--scopes', 'publish-update,bogus']);
    expect(bogus.code).not.toBe(0);
    expect(bogus.stderr).toContain('unknown scope `bogus`');
    expect(bogus.stdout).not.toMatch(/wharf_/);
    const pattern = await run(['token', 'create', 'dave', '--name', 'x', '--crates', '*x']);
    expect(pattern.code).not.toBe(0);
    expect(pattern.stderr).toContain('invalid crate pattern `*x`');
    expect((await ok(['token', 'list', 'dave'])).stdout).toBe(before);
  });

  it('verifies a token read from stdin without printing it back', async () => {
    const r = await verify(scoped.token);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('token of dave');
    expect(r.stdout).toContain('[publish-update,yank]');
    expect(r.stdout).toMatch(/active$/m);
  });

  it('tells a mistyped token from one it never issued', async () => {
    const i = 12;
    const mistyped = scoped.token.slice(0, i) + (scoped.token[i] === 'a' ? 'b' : 'a') + scoped.token.slice(i + 1);
    const typo = await verify(mistyped);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain('checksum');

    const stranger = await verify(generateToken());
    expect(stranger.code).not.toBe(0);
    expect(stranger.stderr).toMatch(/not one this registry issued/);
    expect(stranger.stderr).not.toContain('checksum');
  });

  it('revokes one token with a reason that verify then reports', async () => {
    const r = await ok(['token', 'revoke', String(scoped.id), '--reason', 'laptop stolen']);
    expect(r.stdout).toContain('laptop stolen');
    const v = await verify(scoped.token);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/revoked \S+ \(laptop stolen\)/);
    expect(v.stdout).not.toMatch(/active$/m);
  });

  it("revokes every live token of one user, and no one else's", async () => {
    later = await create('dave', 'second');
    erins = await create('erin', 'erins');
    const r = await ok(['token', 'revoke-all', '--user', 'dave', '--reason', 'r1']);
    expect(r.stdout).toContain('revoked 1 token(s) of dave');
    expect((await verify(later.token)).stdout).toMatch(/revoked \S+ \(r1\)/);
    // A token revoked before keeps its first reason.
    expect((await verify(scoped.token)).stdout).toMatch(/\(laptop stolen\)/);
    const erin = await verify(erins.token);
    expect(erin.stdout).toContain('token of erin');
    expect(erin.stdout).toMatch(/active$/m);
  });

  it('needs a reason for the incident switch', async () => {
    const missing = await run(['token', 'revoke-all']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('--reason');
    const blank = await run(['token', 'revoke-all', '--reason', '  ']);
    expect(blank.code).not.toBe(0);
    expect(blank.stderr).toContain('a reason is required');
    expect((await verify(erins.token)).stdout).toMatch(/active$/m);
  });

  it('refuses the registry-wide switch from a script without --yes, revoking nothing', async () => {
    const r = await run(['token', 'revoke-all', '--reason', 'incident 41']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('add --yes to confirm');
    expect((await verify(erins.token)).stdout).toMatch(/active$/m);
  });

  it("asks for the registry's name on a terminal, and revokes nothing on a wrong answer", async () => {
    const r = await wharfOnTerminal(['token', 'revoke-all', '--reason', 'incident 41'], env, 'wrong-name\n');
    expect(r.screen).toContain("Type the registry's name to go on:");
    expect(r.screen).toContain('not confirmed: nothing was revoked');
    expect(r.code).not.toBe(0);
    expect((await verify(erins.token)).stdout).toMatch(/active$/m);
  });

  it('says so when a token was already revoked, keeping its first reason', async () => {
    const r = await ok(['token', 'revoke', String(later.id), '--reason', 'again']);
    expect(r.stdout).toMatch(new RegExp(`token #${later.id} was already revoked on \\d{4}-\\d{2}-\\d{2} \\(r1\\); nothing changed`));
  });

  it('revokes every live token of the registry', async () => {
    const fresh = await create('dave', 'third');
    const r = await ok(['token', 'revoke-all', '--reason', 'incident 42', '--yes']);
    expect(r.stdout).toContain('revoked 2 token(s) (every token of the registry)');
    for (const token of [fresh.token, erins.token]) {
      const v = await verify(token);
      expect(v.stdout).toMatch(/revoked \S+ \(incident 42\)/);
    }
    expect((await verify(later.token)).stdout).toMatch(/\(r1\)/);
  });

  it('prints the audit trail, filters it, and refuses an unknown user', async () => {
    const all = await ok(['audit']);
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines.some((l) => l.includes('token.create'))).toBe(true);
    const incident = lines.filter((l) => l.includes('token.revoke_all') && l.includes('incident 42'));
    expect(incident).toHaveLength(1);
    expect(incident[0]).toMatch(/"via":"cli:[^"]+"/);

    const json = await ok(['audit', '--action', 'token.revoke_all', '--json']);
    const events = json.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; detail: { reason: string; count: number; via: string } });
    expect(events.map((e) => e.action)).toEqual(['token.revoke_all', 'token.revoke_all']);
    expect(events.map((e) => [e.detail.reason, e.detail.count])).toEqual([
      ['incident 42', 2],
      ['r1', 1],
    ]);
    for (const e of events) expect(e.detail.via).toMatch(/^cli:/);

    const nobody = await run(['audit', '--user', 'nobody']);
    expect(nobody.code).not.toBe(0);
    expect(nobody.stderr).toContain('no user with the login `nobody`');
    expect(nobody.stdout).toBe('');
  });

  it('leaves no plaintext token in the data directory', () => {
    expect(scanForTokens(dataDir, [])).toEqual([]);
  });
});
