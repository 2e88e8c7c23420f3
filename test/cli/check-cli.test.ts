import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wharf } from '../helpers/wharf-process.js';

describe('wharf check (the binary)', () => {
  let dataDir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-check-cli-'));
    env = { WHARF_DATA_DIR: dataDir, WHARF_LOG_LEVEL: 'warn' };
    expect((await wharf(['migrate'], env)).code).toBe(0);
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('exits 1 on an old orphan, spares a young one, and --repair removes only the old one', async () => {
    mkdirSync(join(dataDir, 'crates', 'lost'), { recursive: true });
    const old = join(dataDir, 'crates', 'lost', 'lost-1.0.0-0000000000000000.crate');
    writeFileSync(old, 'orphan');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(old, twoHoursAgo, twoHoursAgo);
    writeFileSync(join(dataDir, 'crates', 'lost', 'lost-1.0.1-0000000000000000.crate'), 'in flight');

    const found = await wharf(['check'], env);
    expect(found.code).toBe(1);
    expect(found.stdout).toContain('orphan: orphan file crates/lost/lost-1.0.0-0000000000000000.crate');
    expect(found.stdout).toContain('1 inconsistencies');
    expect(found.stdout).toContain('1 orphan files younger than the grace period of 60 minutes');
    expect(found.stdout).toContain('wharf check --repair');

    const repaired = await wharf(['check', '--repair'], env);
    expect(repaired.stdout).toContain('removed orphan: crates/lost/lost-1.0.0-0000000000000000.crate');
    expect(repaired.code).toBe(0);
    const strict = await wharf(['check', '--grace-minutes', '0'], env);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('lost-1.0.1');
    expect((await wharf(['check', '--grace-minutes', 'soon'], env)).stderr).toContain('--grace-minutes must be a number');
  });
});
