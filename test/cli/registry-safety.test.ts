import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { publishBody } from '../helpers/crate-builder.js';
import { freePort } from '../helpers/live-server.js';
import { onPostgres } from '../helpers/test-db.js';
import { complaints, tempDirs, WharfServer, wharf } from '../helpers/wharf-process.js';

/** Operator commands never lose data: no restore under a running server, no registry made by mistake. */
describe('operator commands and the data they work on', () => {
  const temp = tempDirs();
  const tempDir = temp.make;
  const servers: WharfServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
    temp.removeAll();
  });

  it('only serve and migrate create a registry: every other command refuses an empty place, naming it', async () => {
    const dataDir = join(tempDir('empty'), 'no-registry-here');
    const env = { WHARF_DATA_DIR: dataDir };
    for (const args of [['user', 'add', 'alice', '--admin'], ['token', 'list', 'alice'], ['audit'], ['check'], ['backup', join(dataDir, '..', 'bk')]]) {
      const r = await wharf(args, env);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toContain(`wharf: using the database ${onPostgres ? 'PostgreSQL at' : `SQLite at ${join(dataDir, 'wharf.sqlite')}`}`);
      expect(r.stderr).toContain(`and the data folder ${dataDir}\n`);
      expect(r.stderr).toContain(onPostgres ? 'has no Wharf schema (no migration applied)' : `no registry here: ${join(dataDir, 'wharf.sqlite')} does not exist`);
      expect(r.stderr).toContain('`wharf migrate`');
    }
    // Nothing was created on the way: no folder, no database file, no schema.
    expect(existsSync(dataDir)).toBe(false);
    const migrated = await wharf(['migrate'], env);
    expect(migrated.stdout).toContain('applied 001-initial');
    const added = await wharf(['user', 'add', 'alice', '--admin'], env);
    expect(added.code).toBe(0);
    expect(added.stderr).toMatch(/^wharf: using the database .* and the data folder .*\n$/);
  });

  async function serve(env: Record<string, string>): Promise<{ server: WharfServer; url: string }> {
    const port = await freePort();
    const server = new WharfServer({ ...env, WHARF_PORT: String(port), WHARF_LOG_LEVEL: 'warn' });
    const url = `http://127.0.0.1:${port}`;
    await server.start(url);
    servers.push(server);
    return { server, url };
  }

  const publish = async (url: string, token: string, name: string) => {
    const res = await fetch(`${url}/api/v1/crates/new`, { method: 'PUT', body: new Uint8Array(await publishBody({ name, vers: '1.0.0' })), headers: { authorization: token } });
    expect(res.status, await res.text()).toBe(200);
  };
  const status = async (url: string, name: string) => (await fetch(`${url}/api/v1/crates/${name}`)).status;

  it('refuses to restore under a running server, and --force keeps the replaced registry as a backup that brings it back', async () => {
    const dataDir = tempDir('live');
    const env = { WHARF_DATA_DIR: dataDir };
    expect((await wharf(['migrate'], env)).code).toBe(0);
    expect((await wharf(['user', 'add', 'keeper'], env)).code).toBe(0);
    const token = (await wharf(['token', 'create', 'keeper', '--name', 'k'], env)).stdout.trimEnd().split('\n').at(-1)!;

    let live = await serve(env);
    await publish(live.url, token, 'in-backup');
    const backupDir = join(tempDir('bk'), 'snapshot');
    expect((await wharf(['backup', backupDir], env)).code).toBe(0);
    // The publish a restore would silently have lost.
    await publish(live.url, token, 'after-backup');

    const refused = await wharf(['restore', backupDir, '--force'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`refusing to replace the data of ${dataDir} while a server uses it`);
    expect(refused.stderr).toMatch(/`wharf serve` \(pid \d+ on \S+, since /);
    expect(await status(live.url, 'after-backup')).toBe(200);
    expect(await live.server.stop()).toBe(0);
    live = await serve(env);
    expect(await status(live.url, 'after-backup')).toBe(200);

    // A server that dies without shutting down leaves its lock file: it counts until its heartbeat
    // is older than the stale limit (moved into the past here instead of waiting 30 s).
    live.server.signal('SIGKILL');
    await live.server.exited();
    const left = readdirSync(join(dataDir, 'locks')).filter((f) => f.startsWith('serve-'));
    expect(left).toHaveLength(1);
    const early = await wharf(['restore', backupDir, '--force'], env);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toMatch(/a stopped process's lock expires 30 s after its last refresh/);
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(dataDir, 'locks', left[0]!), past, past);

    const forced = await wharf(['restore', backupDir, '--force'], env);
    expect(complaints(forced.stderr)).toBe('');
    expect(forced.code).toBe(0);
    const replaced = /is kept in (\S+)\n/.exec(forced.stdout)?.[1];
    expect(replaced).toBeDefined();
    expect(replaced!.startsWith(join(dataDir, 'replaced-'))).toBe(true);
    expect(forced.stdout).toContain(`to undo this restore: wharf restore --force ${replaced}`);
    expect(readdirSync(replaced!).sort()).toEqual(['crates', onPostgres ? 'wharf.pgdump' : 'wharf.sqlite', 'wharf-backup.json'].sort());

    live = await serve(env);
    expect(await status(live.url, 'in-backup')).toBe(200);
    expect(await status(live.url, 'after-backup')).toBe(404);
    expect(await live.server.stop()).toBe(0);

    const undone = await wharf(['restore', '--force', replaced!], env);
    expect(complaints(undone.stderr)).toBe('');
    expect(undone.code).toBe(0);
    live = await serve(env);
    expect(await status(live.url, 'after-backup')).toBe(200);
    const download = await fetch(`${live.url}/api/v1/crates/after-backup/1.0.0/download`);
    expect(download.status).toBe(200);
    expect(await live.server.stop()).toBe(0);
  }, 120_000);

  it('a server does not start on data a restore is replacing', async () => {
    const dataDir = tempDir('restoring');
    const env = { WHARF_DATA_DIR: dataDir };
    expect((await wharf(['migrate'], env)).code).toBe(0);
    // This test process stands for a restore in progress.
    const lock = join(dataDir, 'locks', 'restore.json');
    mkdirSync(join(dataDir, 'locks'));
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), command: 'restore', since: new Date().toISOString() }));
    const r = await wharf(['serve'], { ...env, WHARF_PORT: String(await freePort()) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`the data folder ${dataDir} is being restored by \`wharf restore\` (pid ${process.pid}`);
    expect(readdirSync(join(dataDir, 'locks'))).toEqual(['restore.json']);
  });
});
