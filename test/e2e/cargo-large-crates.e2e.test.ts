import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CargoSandbox, manifest } from '../helpers/cargo.js';
import { type LiveServer, startLiveServer } from '../helpers/live-server.js';

/** `[features]` with `count` features named `{prefix}N`, plus `full` enabling all of them. */
function featureTable(prefix: string, count: number): string {
  const names = Array.from({ length: count - 1 }, (_, i) => `${prefix}${i}`);
  return ['[features]', ...names.map((n) => `${n} = []`), `full = [${names.map((n) => `"${n}"`).join(', ')}]`].join('\n');
}

/**
 * Crates shaped like winapi 0.3.9 (399 features) and web-sys (over 1,500), which crates.io
 * holds, published and built by the real cargo with Wharf's default limits; and `cargo owner`
 * addressing a crate by the other spelling of `-` and `_`, as crates.io answers it.
 */
describe('cargo with crates as large as crates.io holds', () => {
  let server: LiveServer;
  let cargo: CargoSandbox;
  let token: string;

  beforeAll(async () => {
    server = await startLiveServer();
    cargo = new CargoSandbox(server.indexUrl);
    token = (await server.userWithToken('alice')).token;
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it('publishes a 399-feature and a 1,600-feature crate, and a consumer builds with features of both', async () => {
    const lib = (name: string, prefix: string, count: number) =>
      cargo.writeCrate(name, {
        'Cargo.toml': manifest(name, '0.3.9', featureTable(prefix, count)),
        'src/lib.rs': `#[cfg(feature = "${prefix}7")] pub fn seven() -> u32 { 7 }\n#[cfg(feature = "full")] pub fn full() -> bool { true }\n`,
      });
    for (const dir of [lib('winapi-like', 'f', 399), lib('web_sys_like', 'Api', 1600)]) {
      const r = await cargo.run(['publish', '--registry', 'wharf', '--no-verify'], { cwd: dir, token });
      expect(r.stderr).toContain('Published');
      expect(r.code).toBe(0);
    }
    const app = cargo.writeCrate('app', {
      'Cargo.toml': manifest(
        'app',
        '0.1.0',
        [
          '[dependencies]',
          'winapi-like = { version = "0.3", registry = "wharf", features = ["f7"] }',
          'web_sys_like = { version = "0.3", registry = "wharf", features = ["full", "Api7"] }',
        ].join('\n'),
      ),
      'src/main.rs': 'fn main() { assert_eq!(winapi_like::seven() + web_sys_like::seven(), 14); assert!(web_sys_like::full()); }\n',
    });
    const run = await cargo.run(['run', '--quiet'], { cwd: app });
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
  });

  it('`cargo owner --list` finds `winapi-like` when asked for `winapi_like`', async () => {
    const r = await cargo.run(['owner', '--list', 'winapi_like', '--registry', 'wharf'], { token });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('alice');
  });
});
