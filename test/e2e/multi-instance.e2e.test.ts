import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CargoSandbox, manifest } from '../helpers/cargo.js';
import { onPostgres } from '../helpers/test-db.js';
import { startInstances, type WharfServer } from '../helpers/wharf-process.js';

/**
 * Two `wharf serve` processes on one database (PostgreSQL on the PostgreSQL run, one SQLite file
 * otherwise) and one data directory: what one does, the other serves.
 */
describe(`two Wharf instances on one ${onPostgres ? 'PostgreSQL database' : 'SQLite file'}`, () => {
  let dataDir: string;
  let env: Record<string, string>;
  const servers: WharfServer[] = [];
  const urls: string[] = [];
  let token: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-multi-'));
    env = { WHARF_DATA_DIR: dataDir, WHARF_DOWNLOAD_FLUSH_MS: '100', WHARF_CHANGE_POLL_MS: '100' };
    const started = await startInstances(env, 2, 'ops');
    servers.push(...started.servers);
    urls.push(...started.urls);
    token = started.token;
  }, 60_000);

  afterAll(async () => {
    for (const s of servers) expect(await s.stop()).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Milliseconds until `check` holds for a read from instance B. */
  async function timeUntil(check: () => Promise<boolean>): Promise<number> {
    const start = Date.now();
    while (Date.now() - start < 5000) {
      if (await check()) return Date.now() - start;
      await new Promise((r) => setTimeout(r, 20));
    }
    return Infinity;
  }

  const indexLines = async (base: string) => {
    const res = await fetch(`${base}/index/sh/ar/shared-crate`);
    return res.ok ? (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { vers: string; yanked: boolean }) : [];
  };

  it('publishes and yanks through A, and B serves each change within a second', async () => {
    const [a, b] = urls as [string, string];
    const viaA = new CargoSandbox(`sparse+${a}/index/`);
    const publish = (version: string) =>
      viaA.run(['publish', '--registry', 'wharf', '--no-verify'], {
        cwd: viaA.writeCrate(`shared-${version}`, { 'Cargo.toml': manifest('shared-crate', version), 'src/lib.rs': 'pub fn v() -> u32 { 1 }\n' }),
        token,
      });
    expect((await publish('1.0.0')).code).toBe(0);
    expect(await timeUntil(async () => (await indexLines(b)).length === 1)).toBeLessThan(1000);

    // B now holds the file in memory; a second publish through A must reach it.
    expect((await publish('1.1.0')).code).toBe(0);
    expect(await timeUntil(async () => (await indexLines(b)).length === 2)).toBeLessThan(1000);

    expect((await viaA.run(['yank', '--registry', 'wharf', 'shared-crate@1.1.0'], { token })).code).toBe(0);
    expect(await timeUntil(async () => (await indexLines(b)).at(-1)?.yanked === true)).toBeLessThan(1000);

    // The real cargo, against B only, resolves what A published and skips the yanked version.
    const viaB = new CargoSandbox(`sparse+${b}/index/`);
    const consumer = viaB.writeCrate('multi-consumer', {
      'Cargo.toml': manifest('multi-consumer', '0.1.0', '[dependencies]\nshared-crate = { version = "1", registry = "wharf" }\n'),
      'src/main.rs': 'fn main() { assert_eq!(shared_crate::v(), 1); }\n',
    });
    const build = await viaB.run(['run'], { cwd: consumer });
    expect(build.code).toBe(0);
    expect(readFileSync(join(consumer, 'Cargo.lock'), 'utf8')).toContain('name = "shared-crate"\nversion = "1.0.0"');
  }, 180_000);

  it('adds up download counts from both instances', async () => {
    const [a, b] = urls as [string, string];
    for (const base of [a, a, b, b, b]) expect((await fetch(`${base}/api/v1/crates/shared-crate/1.0.0/download`)).status).toBe(200);
    const total = async () => ((await (await fetch(`${a}/api/v1/crates/shared-crate`)).json()) as { versions: Array<{ num: string; downloads: number }> }).versions.find((v) => v.num === '1.0.0')?.downloads ?? 0;
    // The cargo build above downloaded it once through B.
    expect(await timeUntil(async () => (await total()) === 6)).toBeLessThan(2000);
  });

  it('a token revoked through A is refused by B at once', async () => {
    const [a, b] = urls as [string, string];
    const probe = (base: string) => fetch(`${base}/api/v1/me/audit`, { headers: { authorization: token } });
    expect((await probe(b)).status).toBe(200);
    expect((await fetch(`${a}/api/v1/tokens/current`, { method: 'DELETE', headers: { authorization: token } })).status).toBe(204);
    const refused = await probe(b);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { errors: Array<{ detail: string }> }).errors[0]?.detail).toContain('revoked by its own holder');
  });

  it('answers readiness on both instances', async () => {
    for (const base of urls) expect(await (await fetch(`${base}/health/ready`)).json()).toEqual({ ok: true, database: 'up', migrations: 'current' });
  });
});
