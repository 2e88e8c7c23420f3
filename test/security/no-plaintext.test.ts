import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateToken } from '../../src/core/token.js';
import { createSession } from '../../src/services/session.service.js';
import { revokeToken } from '../../src/services/token.service.js';
import { publishBody } from '../helpers/crate-builder.js';
import { createTestApp, scanForTokens } from '../helpers/test-app.js';

describe('no plaintext secret at rest or in logs', () => {
  it('the scan finds a token planted in a file or a log line (so a clean scan means something)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-scan-'));
    try {
      const token = generateToken();
      expect(scanForTokens(dir, [])).toEqual([]);
      writeFileSync(join(dir, 'wharf.sqlite-wal'), Buffer.concat([Buffer.alloc(100), Buffer.from(token), Buffer.alloc(100)]));
      expect(scanForTokens(dir, [])).toEqual([join(dir, 'wharf.sqlite-wal')]);
      rmSync(join(dir, 'wharf.sqlite-wal'));
      expect(scanForTokens(dir, [`{"msg":"x","auth":"${token}"}`])).toEqual(['logs']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tokens used in every way leave no trace in the database files or in trace-level logs', async () => {
    const t = await createTestApp({ logLevel: 'trace' });
    const { token, userId, tokenId } = await t.userWithToken('alice');
    const cookie = await createSession(t.runtime.ctx, userId);
    const uses: Array<Record<string, string>> = [
      { authorization: token },
      { authorization: `Bearer ${token}` },
      { authorization: `${token.slice(0, -1)}Z` },
      { authorization: token, cookie: `wharf_session=${cookie}` },
    ];
    for (const headers of uses) {
      await t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name: 'secret-check', vers: `1.0.${uses.indexOf(headers)}` }), headers });
      await t.app.inject({ method: 'GET', url: '/api/v1/me/audit', headers });
      await t.app.inject({ method: 'PUT', url: '/api/v1/me/tokens', payload: { api_token: { name: 'x' } }, headers });
    }
    await revokeToken(t.runtime.ctx, { actor: null }, tokenId, 'test');
    await t.app.inject({ method: 'DELETE', url: '/api/v1/crates/secret-check/1.0.0/yank', headers: { authorization: token } });

    const logs = t.logs.join('');
    expect(logs).toContain('"authorization":"[redacted]"');
    expect(logs).toContain('"cookie":"[redacted]"');
    expect(logs).not.toContain(cookie);
    expect(scanForTokens(t.dataDir, t.logs)).toEqual([]);
    await t.close();
  });
});
