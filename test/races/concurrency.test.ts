import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRegistry } from '../../src/services/check.service.js';
import { publishBody } from '../helpers/crate-builder.js';
import { freePort } from '../helpers/live-server.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { onPostgres } from '../helpers/test-db.js';
import { WharfServer, wharf } from '../helpers/wharf-process.js';

const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

describe(`concurrent writes in one process (${onPostgres ? 'PostgreSQL' : 'SQLite'})`, () => {
  let t: TestApp;
  let alice: string;
  let bob: string;
  beforeAll(async () => {
    // Owners added at once, so bob's publishes race with the changes themselves.
    t = await createTestApp({ logLevel: 'warn', rateLimitPreset: 'off', ownerInvitations: false });
    alice = (await t.userWithToken('alice')).token;
    bob = (await t.userWithToken('bob')).token;
  });
  afterAll(() => t.close());

  const publish = async (token: string, name: string, vers: string, extra = '') =>
    t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name, vers, files: { 'src/extra.rs': extra } }), headers: { authorization: token } });

  it('publishes one version exactly once when 12 uploads of it race (different bytes each)', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => publish(alice, 'contested', '1.0.0', `// upload ${i}\n`)));
    expect(tally(results.map((r) => r.statusCode))).toEqual({ 200: 1, 409: 11 });
    for (const r of results.filter((r) => r.statusCode === 409)) expect(r.body).toContain('already exists');
    expect(await t.runtime.ctx.db.selectFrom('versions').select('num').where('num', '=', '1.0.0').execute()).toHaveLength(1);
    // The losers' files were removed: nothing but the winner's file is left.
    const report = await checkRegistry(t.runtime.ctx, { graceMs: 0, repair: false });
    expect(report.problems).toEqual([]);
  });

  it('serves publishes, yanks, owner changes and downloads at once without a 5xx', async () => {
    const ops: Array<Promise<{ statusCode: number; body: string }>> = [];
    for (let i = 0; i < 30; i++) {
      ops.push(publish(alice, 'contested', `1.1.${i}`));
      ops.push(publish(alice, `fresh-${i % 6}`, `0.1.${i}`));
      ops.push(t.app.inject({ method: 'DELETE', url: '/api/v1/crates/contested/1.0.0/yank', headers: { authorization: alice } }));
      ops.push(t.app.inject({ method: 'PUT', url: '/api/v1/crates/contested/1.0.0/unyank', headers: { authorization: alice } }));
      ops.push(t.app.inject({ method: i % 2 ? 'PUT' : 'DELETE', url: '/api/v1/crates/contested/owners', payload: { users: ['bob'] }, headers: { authorization: alice } }));
      ops.push(t.app.inject('/api/v1/crates/contested/1.0.0/download'));
      ops.push(t.app.inject('/index/co/nt/contested'));
      ops.push(publish(bob, 'contested', `2.0.${i}`));
    }
    const results = await Promise.all(ops);
    const statuses = tally(results.map((r) => r.statusCode));
    expect(Object.keys(statuses).filter((s) => Number(s) >= 500), t.logs.filter((l) => /"level":50/.test(l)).join('\n').slice(0, 3000)).toEqual([]);
    // bob's publishes succeed exactly while he is an owner: each is a 200 or a 403, never a 5xx.
    expect(Object.keys(statuses).sort()).toEqual(expect.arrayContaining(['200']));
    await t.runtime.downloads.flush();
    const report = await checkRegistry(t.runtime.ctx, { graceMs: 0, repair: false });
    expect(report.problems).toEqual([]);
    const versions = await t.runtime.ctx.db.selectFrom('versions').innerJoin('crates', 'crates.id', 'versions.crate_id').select(['crates.name', 'versions.num']).execute();
    const labels = results.flatMap((r, i) => {
      const n = Math.floor(i / 8);
      const label = [`contested@1.1.${n}`, `fresh-${n % 6}@0.1.${n}`, '', '', '', '', '', `contested@2.0.${n}`][i % 8];
      return r.statusCode === 200 && label ? [label] : [];
    });
    expect(versions.map((v) => `${v.name}@${v.num}`).sort()).toEqual(['contested@1.0.0', ...labels].sort());
  }, 60_000);
});

describe(`two wharf serve processes on one ${onPostgres ? 'PostgreSQL database' : 'SQLite file'}`, () => {
  let dataDir: string;
  let token: string;
  const urls: string[] = [];
  const servers: WharfServer[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-race-'));
    env = { WHARF_DATA_DIR: dataDir, WHARF_LOG_LEVEL: 'warn', WHARF_RATE_LIMIT_PRESET: 'off' };
    expect((await wharf(['migrate'], env)).code).toBe(0);
    expect((await wharf(['user', 'add', 'racer'], env)).code).toBe(0);
    token = (await wharf(['token', 'create', 'racer', '--name', 'race'], env)).stdout.trimEnd().split('\n').at(-1)!;
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const server = new WharfServer({ ...env, WHARF_PORT: String(port) });
      await server.start(`http://127.0.0.1:${port}`);
      servers.push(server);
      urls.push(`http://127.0.0.1:${port}`);
    }
  }, 60_000);
  afterAll(async () => {
    for (const s of servers) await s.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const put = async (base: string, name: string, vers: string, extra = '') =>
    fetch(`${base}/api/v1/crates/new`, { method: 'PUT', body: new Uint8Array(await publishBody({ name, vers, files: { 'src/extra.rs': extra } })), headers: { authorization: token } });

  it('publishes a version exactly once when both processes receive it at the same moment', async () => {
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => put(urls[i % 2]!, 'shared', `1.0.${round}`, `// ${i}`)));
      const bodies = await Promise.all(results.map((r) => r.text()));
      expect(tally(results.map((r) => r.status)), bodies.join('\n')).toEqual({ 200: 1, 409: 9 });
    }
  }, 60_000);

  it('takes a burst of publishes, yanks and reads through both processes without a 5xx or "database is locked"', async () => {
    const ops: Array<Promise<Response>> = [];
    for (let i = 0; i < 40; i++) {
      const base = urls[i % 2]!;
      ops.push(put(base, `burst-${i % 5}`, `0.0.${i}`));
      ops.push(fetch(`${base}/api/v1/crates/shared/1.0.${i % 5}/yank`, { method: 'DELETE', headers: { authorization: token } }));
      ops.push(fetch(`${base}/api/v1/crates/shared/1.0.0/download`));
      ops.push(fetch(`${base}/index/sh/ar/shared`));
    }
    const results = await Promise.all(ops);
    const bodies = await Promise.all(results.map((r) => r.text()));
    const bad = results.map((r, i) => [r.status, bodies[i]] as const).filter(([s, b]) => s >= 500 || /locked|busy/i.test(b ?? ''));
    expect(bad).toEqual([]);
    for (const s of servers) expect(s.output.join('')).not.toMatch(/database is locked/);
    const check = await wharf(['check', '--grace-minutes', '0'], env);
    expect(check.stdout).toContain(' 0 inconsistencies');
  }, 60_000);
});
