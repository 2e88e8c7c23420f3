import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDb, createSqliteDb, type Db } from '../../src/db/create-db.js';
import { compareIndexWithVersions } from '../../src/services/check.service.js';
import { renderCrateIndex } from '../../src/services/index.service.js';
import { publishBody } from '../helpers/crate-builder.js';
import { freePort } from '../helpers/live-server.js';
import { onS3 } from '../helpers/s3-server.js';
import { onPostgres } from '../helpers/test-db.js';
import { databaseEnv, WharfServer, wharf } from '../helpers/wharf-process.js';

/**
 * `wharf serve` killed with SIGKILL at seeded random moments while clients publish and yank, and
 * restarted each time. Afterwards `wharf check` finds no inconsistency, and everything a client
 * was told succeeded (200) is there: each acknowledged version with its exact bytes, each
 * acknowledged yank in the index.
 */
const KILLS = 50;
const SEED = 20_260_707;
const CRATES = ['crash-a', 'crash-b', 'crash-c', 'crash-d'];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe(`SIGKILL during publishes and yanks (${onPostgres ? 'PostgreSQL' : 'SQLite'}${onS3 ? ', files in a bucket' : ''})`, () => {
  let dataDir: string;
  let env: Record<string, string>;
  let url: string;
  let token: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-crash-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = { WHARF_DATA_DIR: dataDir, WHARF_PORT: String(port), WHARF_LOG_LEVEL: 'warn', WHARF_RATE_LIMIT_PRESET: 'off', WHARF_DOWNLOAD_FLUSH_MS: '50' };
    expect((await wharf(['migrate'], env)).code).toBe(0);
    expect((await wharf(['user', 'add', 'crasher'], env)).code).toBe(0);
    token = (await wharf(['token', 'create', 'crasher', '--name', 'crash'], env)).stdout.trimEnd().split('\n').at(-1)!;
  }, 60_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it(`survives ${KILLS} kills with nothing acknowledged lost and zero inconsistencies`, async () => {
    const random = rng(SEED);
    const acked = new Map<string, { name: string; vers: string; sha256: string }>();
    const ackedYanks = new Set<string>();
    const statuses = new Map<string, number>();
    let serial = 0;
    let unknown = 0;
    const count = (label: string) => statuses.set(label, (statuses.get(label) ?? 0) + 1);

    async function operate(stop: { now: boolean }): Promise<void> {
      while (!stop.now) {
        const yank = acked.size > 0 && random() < 0.3;
        try {
          if (yank) {
            const keys = [...acked.keys()];
            const target = acked.get(keys[Math.floor(random() * keys.length)]!)!;
            const res = await fetch(`${url}/api/v1/crates/${target.name}/${target.vers}/yank`, { method: 'DELETE', headers: { authorization: token } });
            count(`yank ${res.status}`);
            if (res.status === 200) ackedYanks.add(`${target.name}@${target.vers}`);
            await res.arrayBuffer();
          } else {
            const name = CRATES[Math.floor(random() * CRATES.length)]!;
            const vers = `1.${serial++}.0`;
            const body = await publishBody({ name, vers, files: { 'src/data.txt': 'x'.repeat(Math.floor(random() * 20_000)) } });
            const crate = body.subarray(8 + body.readUInt32LE(0));
            const res = await fetch(`${url}/api/v1/crates/new`, { method: 'PUT', body: new Uint8Array(body), headers: { authorization: token } });
            count(`publish ${res.status}`);
            if (res.status === 200) acked.set(`${name}@${vers}`, { name, vers, sha256: createHash('sha256').update(crate).digest('hex') });
            await res.arrayBuffer();
          }
        } catch {
          unknown += 1; // the connection died with the server: either outcome is allowed
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    }

    const server = new WharfServer(env);
    for (let kill = 0; kill < KILLS; kill++) {
      await server.start(url);
      const stop = { now: false };
      const workers = [operate(stop), operate(stop), operate(stop)];
      await new Promise((r) => setTimeout(r, 20 + random() * 350));
      server.signal('SIGKILL');
      await server.exited();
      stop.now = true;
      await Promise.all(workers);
    }

    // Every answer was a success or a conflict-free refusal; no 5xx ever reached a client.
    const failures = [...statuses].filter(([label]) => !/ (200)$/.test(label));
    expect(failures).toEqual([]);
    expect(acked.size).toBeGreaterThan(KILLS);

    await server.start(url);
    try {
      for (const { name, vers, sha256 } of acked.values()) {
        const res = await fetch(`${url}/api/v1/crates/${name}/${vers}/download`);
        expect(res.status, `${name}@${vers}`).toBe(200);
        expect(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex'), `${name}@${vers}`).toBe(sha256);
      }
      // The index served over HTTP equals a fresh render from the database, and holds every acknowledged yank.
      const dbEnv = await databaseEnv(env);
      const db: Db = dbEnv.WHARF_DATABASE_URL ? createPostgresDb(dbEnv.WHARF_DATABASE_URL, 2) : createSqliteDb(join(dataDir, 'wharf.sqlite'));
      try {
        for (const name of CRATES) {
          const crate = await db.selectFrom('crates').selectAll().where('name', '=', name).executeTakeFirst();
          if (!crate) continue;
          const served = await (await fetch(`${url}/index/cr/as/${name}`)).text();
          expect(served).toBe(await renderCrateIndex(db, crate));
          const versions = await db.selectFrom('versions').selectAll().where('crate_id', '=', crate.id).orderBy('id').execute();
          expect(compareIndexWithVersions(served, name, versions)).toBeNull();
          const lines = served.trim().split('\n').map((l) => JSON.parse(l) as { vers: string; yanked: boolean });
          for (const key of ackedYanks) {
            const [n, v] = key.split('@');
            if (n === name) expect(lines.find((l) => l.vers === v)?.yanked, key).toBe(true);
          }
        }
      } finally {
        await db.destroy();
      }
    } finally {
      expect(await server.stop()).toBe(0);
    }

    const check = await wharf(['check', '--json'], env);
    const report = JSON.parse(check.stdout) as { problems: unknown[]; youngOrphans: unknown[]; versions: number };
    expect(report.problems).toEqual([]);
    expect(check.code).toBe(0);
    expect(report.versions).toBeGreaterThanOrEqual(acked.size);
    console.log(
      `crash test (${onPostgres ? 'PostgreSQL' : 'SQLite'}): ${KILLS} kills survived; ${acked.size} publishes and ${ackedYanks.size} yanks acknowledged, ` +
        `${unknown} requests cut off by a kill; ${report.versions} versions stored; 0 inconsistencies; ${report.youngOrphans.length} orphan files within the grace period`,
    );
  }, onS3 ? 300_000 : 150_000);
});
