import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complaints, wharf } from '../helpers/wharf-process.js';

describe('wharf team: teams managed from the command line', () => {
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-team-cli-'));
    env = { WHARF_DATA_DIR: dataDir, WHARF_LOG_LEVEL: 'silent' };
    expect((await wharf(['migrate'], env)).code).toBe(0);
    for (const login of ['alice', 'bob']) expect((await wharf(['user', 'add', login], env)).code).toBe(0);
  }, 60_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('adds a team and members, lists them, removes them, and audits each change', async () => {
    const add = await wharf(['team', 'add', 'Core', '--description', 'The core team'], env);
    expect(complaints(add.stderr)).toBe('');
    expect(add.stdout).toContain('created team team:core');
    expect((await wharf(['team', 'add-member', 'core', 'alice'], env)).stdout).toContain('added alice to team:core');
    expect((await wharf(['team', 'add-member', 'team:core', 'bob'], env)).code).toBe(0);
    expect((await wharf(['team', 'list'], env)).stdout).toContain('team:core (The core team): 0 crate(s); members: alice, bob');

    const twice = await wharf(['team', 'add-member', 'core', 'bob'], env);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain('`bob` is already a member of `team:core`');

    expect((await wharf(['team', 'remove-member', 'core', 'bob'], env)).stdout).toContain('removed bob from team:core');
    expect((await wharf(['team', 'remove', 'core'], env)).stdout).toContain('removed team team:core');
    expect((await wharf(['team', 'list'], env)).stdout).toContain('no teams');
    const audit = await wharf(['audit', '--limit', '20'], env);
    for (const action of ['team.create', 'team.member_add', 'team.member_remove', 'team.remove']) expect(audit.stdout).toContain(action);
  }, 300_000);
});
