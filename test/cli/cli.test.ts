import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CargoSandbox, manifest } from '../helpers/cargo.js';
import { freePort } from '../helpers/live-server.js';
import { createPostgresDb } from '../../src/db/create-db.js';
import { scanDatabase, scanForTokens } from '../helpers/test-app.js';
import { databaseEnv, WharfServer, wharf } from '../helpers/wharf-process.js';

describe('the wharf binary', () => {
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-cli-'));
    env = { WHARF_DATA_DIR: dataDir };
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses to start with one message listing every bad setting', async () => {
    const r = await wharf(['serve'], { ...env, WHARF_PORT: 'abc', WHARF_PUBLIC_URL: 'ftp://x', WHARF_MAX_CRATE_SIZE: 'lots', WHARF_AUTH_REQUIRED: 'maybe' });
    expect(r.code).not.toBe(0);
    for (const name of ['WHARF_PORT', 'WHARF_PUBLIC_URL', 'WHARF_MAX_CRATE_SIZE', 'WHARF_AUTH_REQUIRED']) expect(r.stderr).toContain(name);
  });

  it('reads settings from a config file, with the environment winning', async () => {
    const file = join(dataDir, 'bad.toml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, 'port = 70000\nregistry_name = "ok"\nmystery = 1\n');
    const r = await wharf(['serve'], { ...env, WHARF_CONFIG: file });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('port (config file): must be an integer from 0 to 65535');
    expect(r.stderr).toContain('unknown setting `mystery`');
    const fixed = await wharf(['serve'], { ...env, WHARF_CONFIG: file, WHARF_PORT: '1' });
    expect(fixed.stderr).not.toContain('port (config file)');
  });

  it('creates users and tokens, prints the token once on the last line, and lists tokens without secrets', async () => {
    expect((await wharf(['migrate'], env)).stdout).toMatch(/up to date|applied/);
    const add = await wharf(['user', 'add', 'carol', '--admin', '--email', 'carol@example.com', '--name', 'Carol'], env);
    expect(add.code).toBe(0);
    expect(add.stdout).toContain('created user carol');
    const dup = await wharf(['user', 'add', 'carol'], env);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toContain('already exists');

    const created = await wharf(['token', 'create', 'carol', '--name', 'laptop'], env);
    expect(created.code).toBe(0);
    const lines = created.stdout.trimEnd().split('\n');
    const token = lines.at(-1)!;
    expect(token).toMatch(/^wharf_[0-9A-Za-z]{38}$/);
    expect(lines.slice(0, -1).join('\n')).not.toContain(token);
    expect(created.stderr).not.toContain(token);

    const list = await wharf(['token', 'list', 'carol'], env);
    expect(list.stdout).toContain('laptop');
    expect(list.stdout).not.toContain(token);
    const unknown = await wharf(['token', 'create', 'nobody', '--name', 'x'], env);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no user with the login `nobody`');
  });

  it('serves cargo with a CLI-made token, shuts down on SIGTERM, and leaves no plaintext token in the database or logs', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const serverEnv = { ...env, WHARF_PORT: String(port), WHARF_DOWNLOAD_FLUSH_MS: '100' };
    const token = (await wharf(['token', 'create', 'carol', '--name', 'publish'], serverEnv)).stdout.trimEnd().split('\n').at(-1)!;

    const server = new WharfServer(serverEnv);
    await server.start(url);
    const cargo = new CargoSandbox(`sparse+${url}/index/`);
    try {
      const dir = cargo.writeCrate('cli-crate', { 'Cargo.toml': manifest('cli-crate', '0.1.0'), 'src/lib.rs': '' });
      const published = await cargo.run(['publish', '--registry', 'wharf', '--no-verify'], { cwd: dir, token });
      expect(published.code).toBe(0);
      // A wrong token and a mistyped one go through the logger too.
      const wrong = await cargo.run(['yank', '--registry', 'wharf', 'cli-crate@0.1.0'], { token: `${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}` });
      expect(wrong.stderr).toContain('checksum');
      const owners = await fetch(`${url}/api/v1/crates/cli-crate/owners`, { headers: { authorization: `Bearer ${token}` } });
      expect(owners.status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
      rmSync(cargo.root, { recursive: true, force: true });
    }
    const logs = server.output.join('');
    expect(logs).toContain('published');
    expect(logs).toContain('"refusal":"malformed"');
    expect(logs).toContain('shutdown complete');
    expect(scanForTokens(dataDir, [logs])).toEqual([]);
    const { WHARF_DATABASE_URL: dbUrl } = await databaseEnv(env);
    if (dbUrl) {
      const db = createPostgresDb(dbUrl, 1);
      try {
        expect(await scanDatabase(db)).toEqual([]);
      } finally {
        await db.destroy();
      }
    }
  }, 120_000);

  it('names the setting to change when the port is taken', async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const r = await wharf(['serve'], { ...env, WHARF_PORT: String(port) });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`127.0.0.1:${port} is already in use (another Wharf, or another program): stop it, or choose another port with WHARF_PORT`);
    } finally {
      blocker.close();
    }
  });
});
