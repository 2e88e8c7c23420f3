import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, csrfTokenFor, markReauthenticated, SESSION_COOKIE } from '../../src/services/session.service.js';
import { CargoSandbox, manifest } from '../helpers/cargo.js';
import { type LiveServer, startLiveServer } from '../helpers/live-server.js';

const HOUR = 3_600_000;
const reg = 'registry = "wharf"';

/** A crate deleted by its owner is gone for cargo at once; its name is reserved for 24 hours, then free. */
describe('cargo after a crate is deleted', () => {
  let server: LiveServer;
  let alice: { userId: number; token: string };
  let bob: { userId: number; token: string };

  beforeAll(async () => {
    server = await startLiveServer();
    alice = await server.userWithToken('alice');
    bob = await server.userWithToken('bob');
  }, 60_000);
  afterAll(() => server?.close());

  const publish = (cargo: CargoSandbox, name: string, version: string, token: string, body = 'pub fn f() -> u32 { 7 }\n') =>
    cargo.run(['publish', '--registry', 'wharf', '--no-verify'], {
      cwd: cargo.writeCrate(`${name}-${version}-${token.slice(-6)}`, { 'Cargo.toml': manifest(name, version), 'src/lib.rs': body }),
      token,
    });

  it('builds a dependent, then after the deletion a fresh build fails cleanly; the name is reserved, then free', async () => {
    const cargo = new CargoSandbox(server.indexUrl);
    const published = await publish(cargo, 'gone-soon', '0.1.0', alice.token);
    expect(published.code, published.stderr).toBe(0);
    const consumerFiles = {
      'Cargo.toml': manifest('consumer', '0.1.0', `[dependencies]\ngone-soon = { version = "0.1", ${reg} }\n`),
      'src/main.rs': 'fn main() { assert_eq!(gone_soon::f(), 7); }\n',
    };
    const consumer = cargo.writeCrate('consumer', consumerFiles);
    const before = await cargo.run(['build'], { cwd: consumer });
    expect(before.code, before.stderr).toBe(0);

    // The owner deletes it through crates.io's route, signed in.
    const session = await createSession(server.runtime.ctx, alice.userId);
    await markReauthenticated(server.runtime.ctx, session);
    const res = await fetch(`${server.url}/api/v1/crates/gone-soon`, {
      method: 'DELETE',
      headers: { cookie: `${SESSION_COOKIE}=${session}`, 'x-csrf-token': csrfTokenFor(session) },
    });
    expect(res.status).toBe(204);

    // Another machine (no cache) with the lock file: the download is refused.
    const other = new CargoSandbox(server.indexUrl);
    const locked = other.writeCrate('consumer', consumerFiles);
    const withLock = await other.run(['build'], { cwd: locked });
    expect(withLock.code).not.toBe(0);
    expect(withLock.stderr).toMatch(/no matching package named `gone-soon` found|failed to select a version/);
    // And resolving afresh says there is no such crate.
    rmSync(join(consumer, 'Cargo.lock'), { force: true });
    const fresh = await new CargoSandbox(server.indexUrl).run(['generate-lockfile'], { cwd: consumer });
    expect(fresh.code).not.toBe(0);
    expect(fresh.stderr).toMatch(/no matching package named `gone-soon` found/);

    const taken = await publish(cargo, 'gone_soon', '1.0.0', bob.token);
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toMatch(/a crate named `gone-soon` was deleted recently; the name can be used again after \d{4}-\d{2}-\d{2}T/);

    server.clock.advance(24 * HOUR + 60_000);
    const free = await publish(cargo, 'gone-soon', '1.0.0', bob.token, 'pub fn f() -> u32 { 8 }\n');
    expect(free.code, free.stderr).toBe(0);
    const owners = (await (await fetch(`${server.url}/api/v1/crates/gone-soon/owners`)).json()) as { users: Array<{ login: string }> };
    expect(owners.users.map((u) => u.login)).toEqual(['bob']);
  }, 480_000);
});
