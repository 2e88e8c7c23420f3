import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { humanBytes } from '../../src/core/human-size.js';
import { progressText } from '../../src/cli/progress.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';
import { complaints, tempDirs, wharf, wharfOnTerminal } from '../helpers/wharf-process.js';

describe('human sizes and progress lines', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [410_436_925, '391 MiB'],
    [1024 ** 2 - 1, '1 MiB'],
    [5 * 1024 ** 3, '5 GiB'],
  ])('%d bytes are %s', (bytes, text) => {
    expect(humanBytes(bytes)).toBe(text);
  });

  it('says files, bytes, rate and time left', () => {
    expect(progressText('copied', { files: 10, bytes: 10 * 1024 ** 2, total: 40, totalBytes: 40 * 1024 ** 2 }, 5, 'serde@1.0.0')).toBe(
      'copied 10/40 files, 10 MiB of 40 MiB, 2 MiB/s, 15 s left (serde@1.0.0)',
    );
    expect(progressText('synced', { files: 3, bytes: 2048, total: null }, 2, '')).toBe('synced 3 files, 2 KiB, 1 KiB/s');
  });
});

describe('long commands on a terminal and on a pipe', () => {
  let t: TestApp;
  let env: Record<string, string>;
  const dirs = tempDirs();

  beforeAll(async () => {
    t = await createTestApp();
    const { token } = await t.userWithToken('ann');
    for (const name of ['alpha', 'beta', 'gamma']) await t.publish(token, { name, vers: '1.0.0' });
    env = { WHARF_DATA_DIR: t.dataDir, WHARF_LOG_LEVEL: 'warn', ...(t.config.databaseUrl ? { WHARF_DATABASE_URL: t.config.databaseUrl } : {}) };
  });
  afterAll(async () => {
    dirs.removeAll();
    await t.close();
  });

  it('check draws its progress in place on a terminal, and nothing of it on a pipe', async () => {
    const screen = await wharfOnTerminal(['check'], env, '');
    expect(screen.code).toBe(0);
    expect(screen.screen).toMatch(/\r\x1b\[Kchecked 3\/3 files, \d+(\.\d)? (B|KiB) of \d+(\.\d)? (B|KiB), .*\/s, \d+ s left \(gamma@1\.0\.0\)\r?\n/);
    const piped = await wharf(['check'], env);
    expect(piped.code).toBe(0);
    expect(complaints(piped.stderr)).toBe('');
    expect(piped.stdout).not.toContain('\x1b');
    expect(piped.stdout).toContain('checked 3 crates, 3 versions and 3 files');
  });

  it('backup and restore show progress on a terminal and print human sizes', async () => {
    const target = join(dirs.make('progress-backup'), 'copy');
    const backup = await wharfOnTerminal(['backup', target], env, '');
    expect(backup.code).toBe(0);
    expect(backup.screen).toMatch(/\r\x1b\[Kcopied 3\/3 files, /);
    expect(backup.screen).toMatch(/backed up 3 crates, 3 versions and 3 files \(\d+(\.\d)? (B|KiB)\)/);
    const fresh = { WHARF_DATA_DIR: dirs.make('progress-restore'), WHARF_LOG_LEVEL: 'warn' };
    const restore = await wharfOnTerminal(['restore', target], fresh, '');
    expect(restore.code).toBe(0);
    expect(restore.screen).toMatch(/\r\x1b\[Krestore: 3\/3 files, .* \(copying crates\/gamma\/gamma-1\.0\.0-[0-9a-f]+\.crate\)/);
    expect(restore.screen).toContain('restored 3 crates, 3 versions and 3 files');
    const piped = await wharf(['backup', join(dirs.make('progress-backup'), 'copy')], env);
    expect(piped.code).toBe(0);
    expect(complaints(piped.stderr)).toBe('');
    expect(piped.stdout).toMatch(/\(\d+(\.\d)? (B|KiB)\)/);
    expect(piped.stdout).not.toContain('bytes');
  });

  it('check says what to do about a file whose bytes are not the published ones', async () => {
    const file = readdirSync(join(t.dataDir, 'crates', 'alpha')).find((f) => f.endsWith('.crate'))!;
    const path = join(t.dataDir, 'crates', 'alpha', file);
    const original = readFileSync(path);
    writeFileSync(path, Buffer.concat([original, Buffer.from('tampered')]));
    try {
      const r = await wharf(['check'], env);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^wrong file: alpha@1\.0\.0: its file crates\/alpha\/.* has \d+ bytes and sha256 [0-9a-f]{64}, but the database recorded/m);
      expect(r.stdout).toContain('put the published file back from a backup');
      expect(r.stdout).toContain('yank that version and publish a new one');
    } finally {
      writeFileSync(path, original);
    }
  });
});
