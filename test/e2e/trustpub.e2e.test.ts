import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CargoSandbox, manifest } from '../helpers/cargo.js';
import { type LiveServer, startLiveServer } from '../helpers/live-server.js';
import { TestIssuer } from '../helpers/oidc-issuer.js';

/**
 * Trusted publishing as a CI job does it: a GitHub- or GitLab-shaped OIDC token from a local
 * issuer is exchanged with curl's request, then the real cargo publishes with the short-lived token.
 */
describe('trusted publishing with cargo', () => {
  let server: LiveServer;
  let cargo: CargoSandbox;
  let github: TestIssuer;
  let gitlab: TestIssuer;
  let alice: string;
  const dirs: Record<string, string> = {};

  beforeAll(async () => {
    github = await TestIssuer.start();
    gitlab = await TestIssuer.start();
    server = await startLiveServer({
      trustedIssuers: [
        { url: github.url, kind: 'github', audience: null },
        { url: gitlab.url, kind: 'gitlab', audience: 'wharf-ci' },
      ],
    });
    cargo = new CargoSandbox(server.indexUrl);
    alice = (await server.userWithToken('alice')).token;
    for (const name of ['gh-crate', 'gl-crate']) {
      dirs[name] = cargo.writeCrate(name, { 'Cargo.toml': manifest(name, '0.1.0'), 'src/lib.rs': 'pub fn f() {}\n' });
      const first = await publish(dirs[name]!, alice);
      expect(first.code, first.stderr).toBe(0);
    }
    await post('/api/v1/trusted_publishing/github_configs', alice, {
      github_config: { crate: 'gh-crate', repository_owner: 'example', repository_name: 'repo', workflow_filename: 'release.yml', environment: 'release' },
    });
    await post('/api/v1/trusted_publishing/gitlab_configs', alice, {
      gitlab_config: { crate: 'gl-crate', namespace: 'group/sub', project: 'proj', workflow_filepath: 'ci/release.yml', environment: null },
    });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await github?.close();
    await gitlab?.close();
  });

  const publish = (dir: string, token: string) => cargo.run(['publish', '--registry', 'wharf', '--no-verify', '--allow-dirty'], { cwd: dir, token });
  const bump = (name: string, version: string) => writeFileSync(join(dirs[name]!, 'Cargo.toml'), manifest(name, version));
  async function post(path: string, token: string | null, body: unknown): Promise<Response> {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
      body: JSON.stringify(body),
    });
    return res;
  }
  const exchange = async (jwt: string) => {
    const res = await post('/api/v1/trusted_publishing/tokens', null, { jwt });
    return { status: res.status, body: (await res.json()) as { token?: string; errors?: Array<{ detail: string }> } };
  };

  it('a GitHub Actions token is exchanged once, and cargo publishes with the short-lived token', async () => {
    const jwt = await github.sign(github.github('example', 'repo', 'release.yml', { environment: 'Release' }), { audience: server.url });
    const { status, body } = await exchange(jwt);
    expect(status).toBe(200);
    bump('gh-crate', '0.2.0');
    const r = await publish(dirs['gh-crate']!, body.token!);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Published gh-crate v0.2.0');

    const again = await exchange(jwt);
    expect(again.status).toBe(400);
    expect(again.body.errors?.[0]?.detail).toMatch(/already exchanged/);

    const version = (await (await fetch(`${server.url}/api/v1/crates/gh-crate/0.2.0`)).json()) as { version: Record<string, unknown> };
    expect(version.version.trustpub_data).toMatchObject({ provider: 'github', repository: 'example/repo', run_id: '42', workflow: 'release.yml', environment: 'Release' });
    const page = await (await fetch(`${server.url}/crates/gh-crate/0.2.0`, { headers: { accept: 'text/html' } })).text();
    expect(page).toContain('published from example/repo@a1b2c3d by workflow release.yml (environment Release), run 42');
    expect(page).toContain(`href="${github.url}/example/repo/actions/runs/42"`);

    // The same token cannot yank, even the version it published.
    const yank = await cargo.run(['yank', '--registry', 'wharf', '--version', '0.2.0', 'gh-crate'], { token: body.token! });
    expect(yank.code).not.toBe(0);
    expect(yank.stderr).toMatch(/trusted-publishing token may only publish new versions of `gh-crate`/);
  }, 240_000);

  it('a GitLab CI token is matched on its namespace, project and CI file', async () => {
    const claims = gitlab.gitlab('group/sub', 'proj', 'ci/release.yml');
    const wrongAudience = await exchange(await gitlab.sign(claims, { audience: server.url }));
    expect(wrongAudience.body.errors?.[0]?.detail).toMatch(/is not this registry's \(`wharf-ci`\)/);
    const { status, body } = await exchange(await gitlab.sign(claims, { audience: 'wharf-ci' }));
    expect(status).toBe(200);
    bump('gl-crate', '0.2.0');
    const r = await publish(dirs['gl-crate']!, body.token!);
    expect(r.code, r.stderr).toBe(0);
    const version = (await (await fetch(`${server.url}/api/v1/crates/gl-crate/0.2.0`)).json()) as { version: Record<string, unknown> };
    expect(version.version.trustpub_data).toMatchObject({ provider: 'gitlab', project_path: 'group/sub/proj', job_id: '302', workflow: 'ci/release.yml' });
  }, 240_000);

  it('a crate that does not exist yet cannot be created with a short-lived token', async () => {
    const { body } = await exchange(await github.sign(github.github('example', 'repo', 'release.yml', { environment: 'release' }), { audience: server.url }));
    const dir = cargo.writeCrate('fresh', { 'Cargo.toml': manifest('fresh-crate', '0.1.0'), 'src/lib.rs': '' });
    const r = await publish(dir, body.token!);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/cannot create the crate `fresh-crate`/);
  }, 240_000);

  it('a trusted-publishing-only crate refuses an ordinary token', async () => {
    const res = await fetch(`${server.url}/api/v1/crates/gh-crate`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: alice },
      body: JSON.stringify({ crate: { trustpub_only: true } }),
    });
    expect(res.status).toBe(200);
    bump('gh-crate', '0.3.0');
    const r = await publish(dirs['gh-crate']!, alice);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/accepts new versions only through trusted publishing/);
  }, 240_000);
});
