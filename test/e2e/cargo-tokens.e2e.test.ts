import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeAllTokens, revokeToken } from '../../src/services/token.service.js';
import { CargoSandbox, manifest } from '../helpers/cargo.js';
import { type LiveServer, startLiveServer } from '../helpers/live-server.js';

const lib = 'pub fn f() -> u32 { 7 }\n';

describe('cargo and token lifecycle', () => {
  let server: LiveServer;
  let cargo: CargoSandbox;
  let alice: { userId: number; token: string; tokenId: number };

  beforeAll(async () => {
    server = await startLiveServer();
    cargo = new CargoSandbox(server.indexUrl);
    alice = await server.userWithToken('alice');
  }, 60_000);
  afterAll(() => server?.close());

  const publish = (name: string, version: string, token: string | null) =>
    cargo.run(['publish', '--registry', 'wharf', '--no-verify'], {
      cwd: cargo.writeCrate(`${name}-${version}`, { 'Cargo.toml': manifest(name, version), 'src/lib.rs': lib }),
      token,
    });

  it('a token scoped to publish-update on alpha* publishes a new alpha version but not a new crate', async () => {
    expect((await publish('alpha-one', '0.1.0', alice.token)).code).toBe(0);
    const scoped = await server.tokenFor(alice.userId, { name: 'ci', scopes: ['publish-update'], cratePatterns: ['alpha*'] });

    const update = await publish('alpha-one', '0.2.0', scoped.token);
    expect(update.stderr).toContain('Published alpha-one v0.2.0');
    expect(update.code).toBe(0);

    const fresh = await publish('alpha-two', '0.1.0', scoped.token);
    expect(fresh.code).not.toBe(0);
    expect(fresh.stderr).toContain('this token lacks the `publish-new` scope');

    expect((await publish('beta', '0.1.0', alice.token)).code).toBe(0);
    const outside = await publish('beta', '0.2.0', scoped.token);
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toContain('which do not cover `beta`');
  }, 120_000);

  it('refuses a revoked and an expired token with the detail shown by cargo', async () => {
    const lost = await server.tokenFor(alice.userId, { name: 'lost' });
    await revokeToken(server.runtime.ctx, { actor: null }, lost.tokenId, 'laptop stolen');
    const revoked = await publish('alpha-one', '0.3.0', lost.token);
    expect(revoked.code).not.toBe(0);
    expect(revoked.stderr).toMatch(/this token was revoked on \d{4}-\d{2}-\d{2}: laptop stolen; create a new one at http:\/\/127\.0\.0\.1:\d+\/me/);

    const short = await server.tokenFor(alice.userId, { name: 'short', expiresInDays: 1 });
    server.clock.advance(2 * 86_400_000);
    const expired = await publish('alpha-one', '0.3.0', short.token);
    expect(expired.code).not.toBe(0);
    expect(expired.stderr).toMatch(/this token expired on \d{4}-\d{2}-\d{2}/);
  }, 120_000);

  it('logs in and out with cargo login and cargo logout', async () => {
    const token = (await server.tokenFor(alice.userId, { name: 'login' })).token;
    // `cargo login` reads the pasted token from stdin when it is not a terminal.
    const login = await cargo.run(['login', '--registry', 'wharf'], { input: `${token}\n` });
    expect(login.code).toBe(0);
    expect(readFileSync(join(cargo.home, 'credentials.toml'), 'utf8')).toContain('[registries.wharf]');

    const published = await publish('alpha-one', '0.4.0', null);
    expect(published.stderr).toContain('Published alpha-one v0.4.0');

    const logout = await cargo.run(['logout', '--registry', 'wharf']);
    expect(logout.code).toBe(0);
    const after = await publish('alpha-one', '0.5.0', null);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toMatch(/no token found|please run `cargo login/);
  }, 120_000);

  it('after revoke-all every earlier token fails', async () => {
    const before = [alice.token, (await server.tokenFor(alice.userId, { name: 'another' })).token, (await server.userWithToken('bob')).token];
    const count = await revokeAllTokens(server.runtime.ctx, { actor: null, via: 'test' }, {}, 'incident 2026-11');
    expect(count).toBeGreaterThanOrEqual(3);
    for (const token of before) {
      const r = await cargo.run(['yank', '--registry', 'wharf', 'alpha-one@0.1.0'], { token });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('incident 2026-11');
    }
    const fresh = await server.tokenFor(alice.userId, { name: 'after incident' });
    expect((await cargo.run(['yank', '--registry', 'wharf', 'alpha-one@0.1.0'], { token: fresh.token })).code).toBe(0);
  }, 120_000);
});

describe('cargo against a private registry (auth-required)', () => {
  let server: LiveServer;
  let cargo: CargoSandbox;
  let token: string;
  const env = { CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS: 'cargo:token' };

  beforeAll(async () => {
    server = await startLiveServer({ authRequired: true });
    cargo = new CargoSandbox(server.indexUrl);
    token = (await server.userWithToken('alice')).token;
  }, 60_000);
  afterAll(() => server?.close());

  it('refuses cargo without a token and builds a consumer with one', async () => {
    const dep = cargo.writeCrate('secret-lib', { 'Cargo.toml': manifest('secret-lib', '1.0.0'), 'src/lib.rs': lib });
    const published = await cargo.run(['publish', '--registry', 'wharf', '--no-verify'], { cwd: dep, token, env });
    expect(published.stderr).toContain('Published secret-lib v1.0.0');

    const consumer = cargo.writeCrate('private-consumer', {
      'Cargo.toml': manifest('private-consumer', '0.1.0', '[dependencies]\nsecret-lib = { version = "1", registry = "wharf" }\n'),
      'src/main.rs': 'fn main() { assert_eq!(secret_lib::f(), 7); }\n',
    });
    const anonymous = await cargo.run(['generate-lockfile'], { cwd: consumer, env });
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/token|authenticat|login/i);

    const scoped = (await server.tokenFor(1, { name: 'read only', scopes: ['read'] })).token;
    const build = await cargo.run(['run'], { cwd: consumer, env, token: scoped });
    expect(build.stderr).not.toMatch(/^error/m);
    expect(build.code).toBe(0);
  }, 240_000);
});
