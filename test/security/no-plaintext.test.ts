import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateToken, generateTrustpubToken } from '../../src/core/token.js';
import { createSession } from '../../src/services/session.service.js';
import { revokeToken } from '../../src/services/token.service.js';
import { maskSecrets } from '../../src/http/log-secrets.js';
import { csrfTokenFor } from '../../src/services/session.service.js';
import { publishBody } from '../helpers/crate-builder.js';
import { createTestApp, scanForTokens } from '../helpers/test-app.js';
import { createWebApp, csrfOf } from '../helpers/web.js';

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
      { authorization: `${token.slice(0, -1)}${token.endsWith('Z') ? 'Y' : 'Z'}` },
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

  it('masks token- and session-shaped values in any log line, and leaves other long values alone', () => {
    const token = generateToken();
    const session = 'Qm9sZC1yYW5kb20tdmFsdWUtZm9yLWEtc2Vzc2lvbi0'; // 43 base64url characters
    // A CI token's shape: base64url JSON header, payload and signature.
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${b64({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${b64({ iss: 'https://ci.example', sub: 'repo:a/b' })}.${'s'.repeat(40)}`;
    expect(session).toHaveLength(43);
    const cases: Array<[string, string]> = [
      [`{"login":"${token}"}`, '{"login":"[masked]"}'],
      [`{"login":"  ${token.slice(0, -1)}Z"}`, '{"login":"  [masked]"}'],
      [`{"msg":"no user with the login \`${token}x\`"}`, '{"msg":"no user with the login \`[masked]x\`"}'],
      [`{"url":"/crates/${session}"}`, '{"url":"/crates/[masked]"}'],
      [`{"x":"${csrfTokenFor(session)}"}`, '{"x":"[masked]"}'],
      [`{"url":"/x?jwt=${jwt}"}`, '{"url":"/x?jwt=[masked]"}'],
      [`{"msg":"bad token ${generateTrustpubToken()}"}`, '{"msg":"bad token [masked]"}'],
    ];
    for (const [line, masked] of cases) expect(maskSecrets(line)).toBe(masked);
    const kept = [
      `{"crate":"${'a'.repeat(43)}"}`, // a long lowercase name
      `{"sha256":"${'0123456789abcdef'.repeat(4)}"}`,
      `{"run":"${session}x"}`, // 44 characters: no secret of ours has that length
      '{"level":30,"url":"/index/se/rd/serde","msg":"request completed"}',
    ];
    for (const line of kept) expect(maskSecrets(line)).toBe(line);
  });

  it('a token pasted as the login, a session cookie in a URL and the CSRF header never reach the logs', async () => {
    const t = await createWebApp({ logLevel: 'trace' });
    await t.account('alice');
    const { token } = await t.userWithToken('bob');
    const signedIn = t.browser();
    expect((await signedIn.login('alice')).statusCode).toBe(303);
    const cookie = signedIn.session!;
    const csrf = csrfOf((await signedIn.get('/me')).body);

    const stranger = t.browser('10.0.0.9');
    for (const login of [token, ` ${token} `, cookie]) {
      const refused = await stranger.login(login, token);
      expect(refused.statusCode).toBe(401);
    }
    await t.app.inject({ method: 'GET', url: `/crates/${cookie}?q=${token}` });
    await t.app.inject({ method: 'GET', url: `/api/v1/crates/${token}` });
    await t.app.inject({ method: 'PUT', url: '/api/v1/me/tokens', payload: { api_token: { name: 'x' } }, headers: { cookie: `wharf_session=${cookie}`, 'x-csrf-token': csrf } });

    const logs = t.logs.join('');
    expect(logs).toContain('"sign-in refused"');
    expect(logs).toContain('"login":"[masked]"');
    expect(logs).toContain('"x-csrf-token":"[redacted]"');
    for (const secret of [token, cookie, csrf]) expect(logs).not.toContain(secret);
    await t.close();
  });
});
