import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/config.js';
import { publishVersion } from '../../src/services/publish.service.js';
import { authenticateToken, createToken } from '../../src/services/token.service.js';
import { createUser } from '../../src/services/user.service.js';
import { crateTarball, metadataFor } from '../helpers/crate-builder.js';
import { complaints, databaseEnv, wharf } from '../helpers/wharf-process.js';

describe('wharf crate limits and wharf category', () => {
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-crate-cli-'));
    env = { WHARF_DATA_DIR: dataDir, WHARF_LOG_LEVEL: 'silent' };
    expect((await wharf(['migrate'], env)).code).toBe(0);
    const { WHARF_DATABASE_URL: databaseUrl } = await databaseEnv(env);
    const ctx = openContext(loadConfig({}, { dataDir, databaseUrl: databaseUrl ?? null }));
    try {
      const user = await createUser(ctx, { login: 'alice' });
      const { token } = await createToken(ctx, user.id, { name: 'cli test' }, null);
      const actor = await authenticateToken(ctx, token);
      const spec = { name: 'Big_Crate', vers: '1.0.0', meta: { categories: ['parsing'] } };
      await publishVersion(ctx, actor, { json: Buffer.from(JSON.stringify(metadataFor(spec))), crate: await crateTarball(spec) });
    } finally {
      await ctx.db.destroy();
    }
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("shows a crate's limits and where they come from, by any spelling of its name", async () => {
    const r = await wharf(['crate', 'limits', 'big-crate'], env);
    expect(complaints(r.stderr)).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Big_Crate:\n {2}max features +32767 \(the registry's setting\)\n {2}max upload size +10 MB \(10485760 bytes\) \(the registry's setting\)\n$/);
  });

  it('turns trusted publishing only on and off, audited, and refuses anything but on or off', async () => {
    const on = await wharf(['crate', 'trustpub-only', 'big-crate', 'on'], env);
    expect(complaints(on.stderr)).toBe('');
    expect(on.stdout).toBe('Big_Crate: trusted publishing only on\n');
    const off = await wharf(['crate', 'trustpub-only', 'Big_Crate', 'off'], env);
    expect(off.stdout).toBe('Big_Crate: trusted publishing only off\n');
    const bad = await wharf(['crate', 'trustpub-only', 'Big_Crate', 'maybe'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/expected `on` or `off`, got `maybe`/);
    const missing = await wharf(['crate', 'trustpub-only', 'nope', 'on'], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/crate `nope` does not exist/);
    const audit = await wharf(['audit', '--action', 'crate.trustpub_only'], env);
    expect(audit.stdout.match(/crate\.trustpub_only/g)).toHaveLength(2);
  });

  it('sets and clears overrides', async () => {
    const set = await wharf(['crate', 'limits', 'Big_Crate', '--max-features', '450', '--max-upload-size', '20MB'], env);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('max features      450 (set for this crate)');
    expect(set.stdout).toContain('max upload size   20 MB (20971520 bytes) (set for this crate)');
    const cleared = await wharf(['crate', 'limits', 'Big_Crate', '--max-features', 'default'], env);
    expect(cleared.stdout).toContain("max features      32767 (the registry's setting)");
    expect(cleared.stdout).toContain('(set for this crate)');
    const audit = await wharf(['audit', '--action', 'crate.limits'], env);
    expect(audit.stdout.match(/crate\.limits/g)).toHaveLength(2);
  });

  it('refuses bad values and unknown crates with a clear message', async () => {
    const bad = await wharf(['crate', 'limits', 'Big_Crate', '--max-features', 'lots'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('expected a whole number or `default`, got `lots`');
    const missing = await wharf(['crate', 'limits', 'nope', '--max-features', '5'], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nope/);
  });

  it('lists, adds and removes categories', async () => {
    const list = await wharf(['category', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^parsing +1 {2}Parsing tools$/m);
    expect(list.stdout).not.toContain('development-tools::testing');
    expect((await wharf(['category', 'list', '--all'], env)).stdout).toMatch(/^development-tools::testing +0 {2}Testing$/m);
    const added = await wharf(['category', 'set', 'internal', '--name', 'Internal', '--description', 'Our own tools'], env);
    expect(added.code).toBe(0);
    expect((await wharf(['category', 'list'], env)).stdout).toMatch(/^internal +0 {2}Internal$/m);
    expect((await wharf(['category', 'remove', 'internal'], env)).code).toBe(0);
    const refused = await wharf(['category', 'remove', 'development-tools'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('has subcategories');
  });
});
