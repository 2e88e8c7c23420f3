import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/config.js';
import { seedRegistry } from '../helpers/seed-registry.js';
import { complaints, wharf, wharfOnTerminal } from '../helpers/wharf-process.js';

describe('wharf crate delete', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let databaseUrl: string | null = null;

  const crateFiles = () => {
    try {
      return readdirSync(join(dataDir, 'crates'), { recursive: true }).filter((f) => String(f).endsWith('.crate')).map(String).sort();
    } catch {
      return [];
    }
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-crate-delete-'));
    env = { WHARF_DATA_DIR: dataDir, WHARF_LOG_LEVEL: 'silent' };
    expect((await wharf(['migrate'], env)).code).toBe(0);
    databaseUrl = await seedRegistry(env, 'alice', [
      { name: 'old-crate', vers: '1.0.0' },
      { name: 'old-crate', vers: '1.1.0' },
      { name: 'other', vers: '0.1.0' },
    ]);
  }, 60_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('asks for --yes off a terminal, and for the name on one; a wrong name deletes nothing', async () => {
    const refused = await wharf(['crate', 'delete', 'old-crate'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('add --yes to confirm');
    const typo = await wharfOnTerminal(['crate', 'delete', 'old-crate'], env, 'old_crat\n');
    expect(typo.code).not.toBe(0);
    expect(typo.screen).toContain('not confirmed: nothing was deleted');
    expect(crateFiles()).toHaveLength(3);
  }, 120_000);

  it('deletes one version, keeping the crate; then the last version deletes the crate; audited', async () => {
    const one = await wharf(['crate', 'delete', 'old_crate', '--version', '1.1.0', '--yes', '--message', 'leaked a secret'], env);
    expect(complaints(one.stderr)).toBe('');
    expect(one.stdout).toBe('deleted old-crate 1.1.0\n');
    expect(crateFiles()).toHaveLength(2);
    const ctx = openContext(loadConfig({}, { dataDir, databaseUrl }));
    try {
      const row = await ctx.db.selectFrom('crates').select(['max_version', 'num_versions']).where('name', '=', 'old-crate').executeTakeFirstOrThrow();
      expect(row).toEqual({ max_version: '1.0.0', num_versions: 1 });
    } finally {
      await ctx.db.destroy();
    }
    const missing = await wharf(['crate', 'delete', 'old-crate', '--version', '9.9.9', '--yes'], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('has no version `9.9.9`');
    const last = await wharf(['crate', 'delete', 'old-crate', '--version', '1.0.0', '--yes'], env);
    expect(last.stdout).toBe('deleted old-crate 1.0.0, its last version: the crate is deleted\n');
    expect(crateFiles()).toHaveLength(1);
    const audit = await wharf(['audit', '--crate', 'old-crate'], env);
    expect(audit.stdout).toMatch(/crate\.delete_version/);
    expect(audit.stdout).toMatch(/crate\.delete\b/);
  }, 120_000);

  it('deletes a whole crate whatever the rule for owners', async () => {
    const r = await wharf(['crate', 'delete', 'other', '--yes'], { ...env, WHARF_CRATE_DELETION: 'admins' });
    expect(complaints(r.stderr)).toBe('');
    expect(r.stdout).toBe('deleted other (1 version(s))\n');
    expect(crateFiles()).toEqual([]);
    expect((await wharf(['crate', 'delete', 'other', '--yes'], env)).stderr).toMatch(/crate `other` does not exist/);
  }, 120_000);
});
