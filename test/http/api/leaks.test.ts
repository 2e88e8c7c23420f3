import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/config.js';
import { generateToken } from '../../../src/core/token.js';
import { revokeToken } from '../../../src/services/token.service.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

type Res = { statusCode: number; body: string; json(): unknown };
const detail = (res: Res) => (res.json() as { errors: Array<{ detail: string }> }).errors[0]?.detail ?? '';

const p256 = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const scanner = p256();
const publicPem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
const signature = (body: string, key: KeyObject = scanner.privateKey) => sign('sha256', Buffer.from(body), key).toString('base64');

const LEAK_URL = 'https://github.com/someone/dotfiles/blob/main/.cargo/credentials.toml';
const report = (token: string) => ({ token, type: 'wharf_api_token', url: LEAK_URL, source: 'content' });

interface Verdict {
  token_raw: string;
  token_type: string;
  label: string;
}

describe('POST /api/github/secret-scanning/verify', () => {
  let t: TestApp;
  let live: { userId: number; token: string; tokenId: number };

  beforeEach(async () => {
    t = await createTestApp({ secretScanningKeys: { 'key-1': publicPem(scanner.publicKey) } });
    live = await t.userWithToken('alice');
  });
  afterEach(() => t.close());

  const post = (body: string, headers: Record<string, string | undefined>) =>
    t.app.inject({
      method: 'POST',
      url: '/api/github/secret-scanning/verify',
      payload: body,
      headers: Object.fromEntries(Object.entries({ 'content-type': 'application/json', ...headers }).filter(([, v]) => v !== undefined)) as Record<string, string>,
    });
  const signed = (body: string) => post(body, { 'github-public-key-identifier': 'key-1', 'github-public-key-signature': signature(body) });
  const useToken = (token: string) => t.app.inject({ method: 'GET', url: '/api/v1/me/audit', headers: { authorization: token } });
  const tokenRow = (id: number) => t.runtime.ctx.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const revokeAudits = () => t.runtime.ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'token.revoke').execute();

  it('revokes a reported live token, labels every report, and says where it leaked to whoever uses it next', async () => {
    const old = await t.tokenFor(live.userId, { name: 'old' });
    await revokeToken(t.runtime.ctx, { actor: null }, old.tokenId, 'rotated');
    const unknown = generateToken();
    const body = JSON.stringify([report(live.token), report(old.token), report(unknown), report('hunter2')]);

    const res = await signed(body);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json() as Verdict[]).toEqual([
      { token_raw: live.token, token_type: 'wharf_api_token', label: 'true_positive' },
      { token_raw: old.token, token_type: 'wharf_api_token', label: 'true_positive' },
      { token_raw: unknown, token_type: 'wharf_api_token', label: 'false_positive' },
      { token_raw: 'hunter2', token_type: 'wharf_api_token', label: 'false_positive' },
    ]);

    const reason = `reported as leaked at ${LEAK_URL}`;
    expect(await tokenRow(live.tokenId)).toMatchObject({ revoked_reason: reason });
    // An earlier revocation stands as it was.
    expect(await tokenRow(old.tokenId)).toMatchObject({ revoked_reason: 'rotated' });

    const refused = await useToken(live.token);
    expect(refused.statusCode).toBe(401);
    expect(detail(refused)).toContain(reason);

    const audits = await revokeAudits();
    const scanned = audits.filter((a) => a.token_id === live.tokenId);
    expect(scanned).toHaveLength(1);
    expect(JSON.parse(scanned[0]!.detail!)).toMatchObject({ via: 'secret-scanning', reason, owner_id: live.userId });
    expect(audits.filter((a) => a.token_id === old.tokenId)).toHaveLength(1);
  });

  it.each<[string, (body: string) => Record<string, string | undefined>]>([
    ['a signature over a different body', () => ({ 'github-public-key-identifier': 'key-1', 'github-public-key-signature': signature('[]') })],
    ['a signature by another key', (body) => ({ 'github-public-key-identifier': 'key-1', 'github-public-key-signature': signature(body, p256().privateKey) })],
    ['an unknown key id', (body) => ({ 'github-public-key-identifier': 'key-2', 'github-public-key-signature': signature(body) })],
    ['no signature header', () => ({ 'github-public-key-identifier': 'key-1' })],
    ['no key id header', (body) => ({ 'github-public-key-signature': signature(body) })],
    ['no headers at all', () => ({})],
    ['a signature that is not DER', () => ({ 'github-public-key-identifier': 'key-1', 'github-public-key-signature': 'bm90IGEgc2lnbmF0dXJl' })],
  ])('refuses %s with 401 and revokes nothing', async (_label, headers) => {
    const body = JSON.stringify([report(live.token)]);
    const res = await post(body, headers(body));
    expect(res.statusCode).toBe(401);
    expect(res.body).not.toContain(live.token);
    expect((await tokenRow(live.tokenId)).revoked_at).toBeNull();
    expect((await useToken(live.token)).statusCode).toBe(200);
    expect(await revokeAudits()).toEqual([]);
  });

  it.each([
    ['a JSON object', () => JSON.stringify(report(live.token))],
    ['a string', () => JSON.stringify(live.token)],
    ['text that is not JSON', () => `[${JSON.stringify(report(live.token))}`],
  ])('refuses %s, correctly signed, with 400 and revokes nothing', async (_label, make) => {
    const res = await signed(make());
    expect(res.statusCode).toBe(400);
    expect(detail(res)).toMatch(/array|JSON/);
    expect((await tokenRow(live.tokenId)).revoked_at).toBeNull();
  });
});

describe('secret scanning keys in the configuration', () => {
  const load = (keys: Record<string, string>) => () => loadConfig({ WHARF_SECRET_SCANNING_KEYS: JSON.stringify(keys) });
  const pem = (type: 'rsa' | 'ed25519' | 'p384') => {
    const pair =
      type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : type === 'ed25519'
          ? generateKeyPairSync('ed25519')
          : generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    return publicPem(pair.publicKey);
  };

  it('accepts a P-256 public key', () => {
    const key = publicPem(scanner.publicKey);
    expect(load({ 'key-1': key })().secretScanningKeys).toEqual({ 'key-1': key });
  });

  it.each(['rsa', 'ed25519', 'p384'] as const)('refuses a %s key, naming the setting and the key id', (type) => {
    const attempt = load({ 'good-key': publicPem(scanner.publicKey), [`${type}-key`]: pem(type) });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(`WHARF_SECRET_SCANNING_KEYS: key \`${type}-key\` is not a PEM ECDSA P-256 public key`);
  });

  it('refuses text that is not a key, and a value that is not a JSON object', () => {
    expect(load({ junk: 'not a pem' })).toThrow(/key `junk` is not a PEM ECDSA P-256 public key/);
    expect(() => loadConfig({ WHARF_SECRET_SCANNING_KEYS: '["a"]' })).toThrow(/WHARF_SECRET_SCANNING_KEYS: must be a table/);
    expect(() => loadConfig({ WHARF_SECRET_SCANNING_KEYS: '{' })).toThrow(/WHARF_SECRET_SCANNING_KEYS: must be a JSON object/);
  });
});
