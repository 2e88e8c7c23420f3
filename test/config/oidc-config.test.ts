import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';

describe('single sign-on settings', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ oidcIssuer: null, oidcScopes: ['openid', 'profile', 'email'], oidcName: 'single sign-on', oidcGroupsClaim: 'groups', oidcAutoCreate: false, oidcOnly: false });
  });

  it('reads comma-separated lists from the environment, and turns account creation on with an allowed list', () => {
    const c = loadConfig({
      WHARF_OIDC_ISSUER: 'https://sso.example.com/realms/x/',
      WHARF_OIDC_CLIENT_ID: 'wharf',
      WHARF_OIDC_ALLOWED_GROUPS: 'a, b ,c',
      WHARF_OIDC_ALLOWED_DOMAINS: '@Example.com',
      WHARF_OIDC_BREAK_GLASS_ADMINS: 'root',
      WHARF_OIDC_ONLY: 'true',
    });
    expect(c).toMatchObject({ oidcIssuer: 'https://sso.example.com/realms/x', oidcAllowedGroups: ['a', 'b', 'c'], oidcAllowedDomains: ['example.com'], oidcAutoCreate: true, oidcBreakGlassAdmins: ['root'] });
  });

  it.each(['http://sso.example.com', 'http://10.0.0.1', 'ftp://127.0.0.1'])('refuses the issuer %s (https, or http on loopback only)', (issuer) => {
    expect(() => loadConfig({ WHARF_OIDC_ISSUER: issuer, WHARF_OIDC_CLIENT_ID: 'x' })).toThrow(/WHARF_OIDC_ISSUER/);
  });

  it.each(['http://127.0.0.1:9000', 'http://127.1.2.3', 'http://[::1]:8080'])('accepts the loopback issuer %s', (issuer) => {
    expect(loadConfig({ WHARF_OIDC_ISSUER: issuer, WHARF_OIDC_CLIENT_ID: 'x' }).oidcIssuer).toBe(new URL(issuer).href.replace(/\/$/, ''));
  });

  it('reads the client secret from a file, and says which settings are missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-oidc-'));
    writeFileSync(join(dir, 'secret'), 'from the file\n');
    expect(loadConfig({ WHARF_OIDC_ISSUER: 'https://a.example', WHARF_OIDC_CLIENT_ID: 'x', WHARF_OIDC_CLIENT_SECRET_FILE: join(dir, 'secret') }).oidcClientSecret).toBe('from the file');
    expect(() => loadConfig({ WHARF_OIDC_ISSUER: 'https://a.example' })).toThrow(/oidc_client_id/);
    expect(() => loadConfig({ WHARF_OIDC_ONLY: 'true' })).toThrow(/oidc_only/);
    expect(() => loadConfig({ WHARF_OIDC_ISSUER: 'https://a.example', WHARF_OIDC_CLIENT_ID: 'x', WHARF_OIDC_CLIENT_SECRET_FILE: join(dir, 'none') })).toThrow(/cannot read/);
  });
});
