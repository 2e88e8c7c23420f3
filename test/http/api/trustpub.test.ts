import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleLeakReport } from '../../../src/services/leak.service.js';
import { createSession, csrfTokenFor, SESSION_COOKIE } from '../../../src/services/session.service.js';
import { publishBody } from '../../helpers/crate-builder.js';
import { TestIssuer } from '../../helpers/oidc-issuer.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

/** Trusted publishing through the API: configurations, the exchange and what its token may do. */
describe('trusted publishing API', () => {
  let t: TestApp;
  let issuer: TestIssuer;
  let alice: string;
  let bob: string;
  const audience = 'http://wharf.test';

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await createTestApp({
      trustedIssuers: [
        { url: issuer.url, kind: 'github', audience: null },
        // A GitLab issuer this suite never signs with: GitLab configurations need one to be bound to.
        { url: `${issuer.url}/gitlab`, kind: 'gitlab', audience: null },
      ],
    });
    alice = (await t.userWithToken('alice')).token;
    bob = (await t.userWithToken('bob')).token;
    await t.publish(alice, { name: 'tp-crate', vers: '1.0.0' });
    await t.publish(alice, { name: 'other-crate', vers: '1.0.0' });
  });

  afterAll(async () => {
    await t?.close();
    await issuer?.close();
  });

  const api = (method: 'GET' | 'POST' | 'DELETE' | 'PATCH' | 'PUT', url: string, token?: string, payload?: unknown) =>
    t.app.inject({ method, url, payload: payload as object, headers: token ? { authorization: token } : {} });
  const detail = (res: { json(): unknown }) => (res.json() as { errors: Array<{ detail: string }> }).errors[0]!.detail;
  const exchange = (jwt: string) => api('POST', '/api/v1/trusted_publishing/tokens', undefined, { jwt });
  const publish = async (token: string, name: string, vers: string) =>
    t.app.inject({ method: 'PUT', url: '/api/v1/crates/new', payload: await publishBody({ name, vers }), headers: { authorization: token } });
  const githubConfig = (over: Record<string, unknown> = {}) => ({
    github_config: { crate: 'tp-crate', repository_owner: 'Example', repository_name: 'repo', workflow_filename: 'release.yml', environment: null, ...over },
  });

  it('lets an owner add, list and delete a GitHub configuration, in crates.io shapes', async () => {
    const created = await api('POST', '/api/v1/trusted_publishing/github_configs', alice, githubConfig({ workflow_filename: 'other.yml' }));
    expect(created.statusCode).toBe(200);
    const config = (created.json() as { github_config: Record<string, unknown> }).github_config;
    expect(config).toMatchObject({ crate: 'tp-crate', repository_owner: 'Example', repository_owner_id: null, workflow_filename: 'other.yml', environment: null });
    const listed = await api('GET', '/api/v1/trusted_publishing/github_configs?crate=tp-crate', alice);
    expect(listed.json()).toEqual({ github_configs: [config], meta: { total: 1, next_page: null } });
    expect((await api('DELETE', `/api/v1/trusted_publishing/github_configs/${config.id as number}`, alice)).statusCode).toBe(204);
    expect(await api('GET', '/api/v1/trusted_publishing/github_configs?crate=tp-crate', alice).then((r) => r.json())).toEqual({ github_configs: [], meta: { total: 0, next_page: null } });
    const audit = await t.runtime.ctx.db.selectFrom('audit_log').select(['action', 'crate_name']).where('action', 'like', 'trustpub.%').execute();
    expect(audit).toEqual([
      { action: 'trustpub.config_add', crate_name: 'tp-crate' },
      { action: 'trustpub.config_remove', crate_name: 'tp-crate' },
    ]);
  });

  it('refuses non-owners, tokens without the trusted-publishing scope and bad fields', async () => {
    const byBob = await api('POST', '/api/v1/trusted_publishing/github_configs', bob, githubConfig());
    expect(byBob.statusCode).toBe(403);
    expect(detail(byBob)).toMatch(/only an owner of `tp-crate`/);
    const narrow = (await t.tokenFor((await t.userWithToken('carol')).userId, { scopes: ['publish-update'] })).token;
    const noScope = await api('POST', '/api/v1/trusted_publishing/github_configs', narrow, githubConfig());
    expect(noScope.statusCode).toBe(403);
    expect(detail(noScope)).toMatch(/lacks the `trusted-publishing` scope/);
    const bad = await api('POST', '/api/v1/trusted_publishing/github_configs', alice, githubConfig({ workflow_filename: 'release.txt' }));
    expect(bad.statusCode).toBe(400);
    expect(detail(bad)).toMatch(/must end with `.yml` or `.yaml`/);
    const missing = await api('POST', '/api/v1/trusted_publishing/github_configs', alice, githubConfig({ crate: 'nope' }));
    expect(missing.statusCode).toBe(404);
  });

  it('accepts a browser session of an owner, with its CSRF header for changes', async () => {
    const aliceId = (await t.runtime.ctx.db.selectFrom('users').select('id').where('login', '=', 'alice').executeTakeFirstOrThrow()).id;
    const session = await createSession(t.runtime.ctx, aliceId);
    const cookie = `${SESSION_COOKIE}=${session}`;
    const body = { gitlab_config: { crate: 'other-crate', namespace: 'group/sub', project: 'proj', workflow_filepath: '.gitlab-ci.yml', environment: null } };
    const url = '/api/v1/trusted_publishing/gitlab_configs';
    const noCsrf = await t.app.inject({ method: 'POST', url, payload: body, headers: { cookie } });
    expect(noCsrf.statusCode).toBe(403);
    const created = await t.app.inject({ method: 'POST', url, payload: body, headers: { cookie, 'x-csrf-token': csrfTokenFor(session) } });
    expect(created.statusCode).toBe(200);
    expect((created.json() as { gitlab_config: Record<string, unknown> }).gitlab_config).toMatchObject({ crate: 'other-crate', namespace: 'group/sub', namespace_id: null, project: 'proj' });
    const listed = await t.app.inject({ method: 'GET', url: `${url}?crate=other-crate`, headers: { cookie } });
    expect((listed.json() as { gitlab_configs: unknown[] }).gitlab_configs).toHaveLength(1);
    const id = (created.json() as { gitlab_config: { id: number } }).gitlab_config.id;
    // A GitLab configuration is not reachable under the GitHub route.
    expect((await api('DELETE', `/api/v1/trusted_publishing/github_configs/${id}`, alice)).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `${url}/${id}`, headers: { cookie, 'x-csrf-token': csrfTokenFor(session) } })).statusCode).toBe(204);
  });

  describe('with a configuration', () => {
    let tpToken: string;

    beforeAll(async () => {
      const res = await api('POST', '/api/v1/trusted_publishing/github_configs', alice, githubConfig());
      expect(res.statusCode).toBe(200);
    });

    it('exchanges a matching JWT once, for a wharf_tp_ token that publishes a new version with provenance', async () => {
      const jwt = await issuer.sign(issuer.github('example', 'Repo'), { audience });
      const res = await exchange(jwt);
      expect(res.statusCode).toBe(200);
      tpToken = (res.json() as { token: string }).token;
      expect(tpToken).toMatch(/^wharf_tp_[0-9A-Za-z]{38}$/);

      const again = await exchange(jwt);
      expect(again.statusCode).toBe(400);
      expect(detail(again)).toMatch(/already exchanged/);

      expect((await publish(tpToken, 'tp-crate', '1.1.0')).statusCode).toBe(200);
      const version = (await api('GET', '/api/v1/crates/tp-crate/1.1.0')).json() as { version: Record<string, unknown> };
      expect(version.version.published_by).toBeNull();
      expect(version.version.trustpub_data).toEqual({
        provider: 'github',
        repository: 'example/Repo',
        run_id: '42',
        sha: 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2',
        workflow: 'release.yml',
        ref: 'refs/tags/v1.0.1',
        environment: null,
        run_url: `${issuer.url}/example/Repo/actions/runs/42`,
      });
      const older = (await api('GET', '/api/v1/crates/tp-crate/1.0.0')).json() as { version: Record<string, unknown> };
      expect(older.version).toMatchObject({ trustpub_data: null, published_by: expect.objectContaining({ login: 'alice' }) });
      const configs = (await api('GET', '/api/v1/trusted_publishing/github_configs?crate=tp-crate', alice)).json() as { github_configs: Array<Record<string, unknown>> };
      expect(configs.github_configs[0]!.repository_owner_id).toBe(4242);
    });

    it('the same JWT sent twice at once is exchanged once', async () => {
      const jwt = await issuer.sign(issuer.github('example', 'repo'), { audience });
      const answers = await Promise.all([exchange(jwt), exchange(jwt), exchange(jwt)]);
      expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 400, 400]);
    });

    it('exchanges many different JWTs at once while dropping expired ids, all of them, none lost to a lock', async () => {
      const db = t.runtime.ctx.db;
      const past = new Date(Date.now() - 3_600_000).toISOString();
      await db.insertInto('trustpub_used_jtis').values(Array.from({ length: 200 }, (_, i) => ({ jti: `old-${i}`, expires_at: past }))).execute();
      const jwts = await Promise.all(Array.from({ length: 8 }, () => issuer.sign(issuer.github('example', 'repo'), { audience })));
      const answers = await Promise.all(jwts.map((jwt) => exchange(jwt)));
      expect(answers.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
      const left = await db.selectFrom('trustpub_used_jtis').select('jti').where('jti', 'like', 'old-%').execute();
      expect(left).toEqual([]);
    });

    it('the short-lived token cannot create a crate, publish another crate, yank or change owners', async () => {
      const created = await publish(tpToken, 'brand-new', '0.1.0');
      expect(created.statusCode).toBe(403);
      expect(detail(created)).toMatch(/cannot create the crate `brand-new`/);
      const other = await publish(tpToken, 'other-crate', '1.1.0');
      expect(other.statusCode).toBe(403);
      expect(detail(other)).toMatch(/may only publish `tp-crate`, not `other-crate`/);
      const yank = await api('DELETE', '/api/v1/crates/tp-crate/1.1.0/yank', tpToken);
      expect(yank.statusCode).toBe(403);
      expect(detail(yank)).toMatch(/trusted-publishing token may only publish new versions of `tp-crate`/);
      const owners = await api('PUT', '/api/v1/crates/tp-crate/owners', tpToken, { users: ['bob'] });
      expect(owners.statusCode).toBe(403);
      const configs = await api('POST', '/api/v1/trusted_publishing/github_configs', tpToken, githubConfig());
      expect(configs.statusCode).toBe(403);
    });

    it.each([
      ['a wrong audience', async () => issuer.sign(issuer.github('example', 'repo'), { audience: 'https://elsewhere.example' }), /audience "https:\/\/elsewhere.example" is not this registry's/],
      ['an expired token', async () => issuer.sign(issuer.github('example', 'repo'), { audience, expiresIn: -120 }), /expired at/],
      ['a token issued in the future', async () => issuer.sign(issuer.github('example', 'repo'), { audience, issuedIn: 600 }), /not valid yet \(`iat` is in the future\)/],
      ['an unknown issuer', async () => issuer.sign(issuer.github('example', 'repo'), { audience, issuer: 'https://token.actions.githubusercontent.com' }), /issuer `https:\/\/token.actions.githubusercontent.com` is not trusted/],
      ['a pull_request_target event', async () => issuer.sign(issuer.github('example', 'repo', 'release.yml', { event_name: 'pull_request_target' }), { audience }), /does not accept tokens of `pull_request_target`/],
      ['a workflow_run event', async () => issuer.sign(issuer.github('example', 'repo', 'release.yml', { event_name: 'workflow_run' }), { audience }), /`workflow_run`/],
      ['a workflow no configuration names', async () => issuer.sign(issuer.github('example', 'repo', 'ci.yml'), { audience }), /does not name the workflow `ci.yml`.*expected `release.yml`/],
      ['a repository no configuration names', async () => issuer.sign(issuer.github('example', 'elsewhere'), { audience }), /no trusted publishing configuration names the repository `example\/elsewhere`/],
      ['another owner id under the same name', async () => issuer.sign(issuer.github('example', 'repo', 'release.yml', { repository_owner_id: '999' }), { audience }), /first used by another owner/],
      ['an audience list, even one naming this registry', async () => issuer.sign(issuer.github('example', 'repo'), { audience: [audience, 'https://elsewhere.example'] }), /audience must be this registry's .* alone/],
      ['an expiry more than a day away', async () => issuer.sign(issuer.github('example', 'repo'), { audience, expiresIn: 48 * 3600 }), /expires more than 24 hours from now/],
      ['a key the issuer does not publish', async () => {
        await issuer.addKey('hidden', false);
        return issuer.sign(issuer.github('example', 'repo'), { audience, kid: 'hidden' });
      }, /key id `hidden` is not among the keys/],
    ])('refuses %s with a clear detail', async (_name, jwt, message) => {
      const res = await exchange(await jwt());
      expect(res.statusCode).toBe(400);
      expect(detail(res)).toMatch(message);
    });

    it('reads the key set again for an unknown kid, at most once a minute', async () => {
      t.clock.advance(61_000); // past the refresh the unknown key above caused
      const before = issuer.jwksReads;
      await issuer.addKey('rotated');
      const first = await exchange(await issuer.sign(issuer.github('example', 'repo'), { audience, kid: 'rotated' }));
      expect(first.statusCode).toBe(200);
      await issuer.addKey('rotated-again');
      const second = await exchange(await issuer.sign(issuer.github('example', 'repo'), { audience, kid: 'rotated-again' }));
      expect(detail(second)).toMatch(/key id `rotated-again` is not among the keys/);
      expect(issuer.jwksReads).toBe(before + 1);
      t.clock.advance(61_000);
      const later = await exchange(await issuer.sign(issuer.github('example', 'repo'), { audience, kid: 'rotated-again' }));
      expect(later.statusCode).toBe(200);
      expect(issuer.jwksReads).toBe(before + 2);
    });

    it('trustpub_only keeps ordinary tokens from publishing, and only an owner sets it', async () => {
      expect((await api('PATCH', '/api/v1/crates/tp-crate', bob, { crate: { trustpub_only: true } })).statusCode).toBe(403);
      const set = await api('PATCH', '/api/v1/crates/tp-crate', alice, { crate: { trustpub_only: true } });
      expect(set.statusCode).toBe(200);
      expect((set.json() as { crate: Record<string, unknown> }).crate.trustpub_only).toBe(true);
      const refused = await publish(alice, 'tp-crate', '1.2.0');
      expect(refused.statusCode).toBe(403);
      expect(detail(refused)).toMatch(/accepts new versions only through trusted publishing/);
      expect((await publish(tpToken, 'tp-crate', '1.2.0')).statusCode).toBe(200);
      await api('PATCH', '/api/v1/crates/tp-crate', alice, { crate: { trustpub_only: false } });
      expect((await publish(alice, 'tp-crate', '1.3.0')).statusCode).toBe(200);
    });

    it('DELETE revokes the token that authenticates it; a repeat answers 401', async () => {
      const jwt = await issuer.sign(issuer.github('example', 'repo'), { audience });
      const token = ((await exchange(jwt)).json() as { token: string }).token;
      expect((await api('DELETE', '/api/v1/trusted_publishing/tokens', token)).statusCode).toBe(204);
      const again = await api('DELETE', '/api/v1/trusted_publishing/tokens', token);
      expect(again.statusCode).toBe(401);
      expect(detail(again)).toMatch(/was revoked/);
      const used = await publish(token, 'tp-crate', '1.4.0');
      expect(used.statusCode).toBe(401);
    });

    it('a leak report revokes a trusted-publishing token', async () => {
      const token = ((await exchange(await issuer.sign(issuer.github('example', 'repo'), { audience }))).json() as { token: string }).token;
      const report = JSON.stringify([{ token, type: 'wharf_token', url: 'https://example.com/log', source: 'content' }]);
      expect(await handleLeakReport(t.runtime.ctx, Buffer.from(report))).toEqual([expect.objectContaining({ label: 'true_positive' })]);
      const res = await publish(token, 'tp-crate', '1.4.1');
      expect(res.statusCode).toBe(401);
      expect(detail(res)).toMatch(/revoked .*reported as leaked at https:\/\/example.com\/log/);
    });

    it('removing a configuration revokes the tokens it minted at once', async () => {
      const extra = await api('POST', '/api/v1/trusted_publishing/github_configs', alice, githubConfig({ crate: 'other-crate' }));
      expect(extra.statusCode).toBe(200);
      const id = (extra.json() as { github_config: { id: number } }).github_config.id;
      const jwt = await issuer.sign(issuer.github('example', 'repo'), { audience, expiresIn: 3 * 3600 });
      const token = ((await exchange(jwt)).json() as { token: string }).token;
      expect((await publish(token, 'other-crate', '1.0.1')).statusCode).toBe(200);
      expect((await api('DELETE', `/api/v1/trusted_publishing/github_configs/${id}`, alice)).statusCode).toBe(204);
      const after = await publish(token, 'other-crate', '1.0.2');
      expect(after.statusCode).toBe(401);
      expect(detail(after)).toMatch(/its trusted publishing configuration was removed/);
    });

    it('a key the issuer withdraws stops being trusted within an hour, though tokens keep naming it', async () => {
      await issuer.addKey('withdrawn');
      t.clock.advance(61_000);
      const sign = () => issuer.sign(issuer.github('example', 'repo'), { audience, kid: 'withdrawn', expiresIn: 3 * 3600 });
      expect((await exchange(await sign())).statusCode).toBe(200);
      issuer.withdrawKey('withdrawn');
      t.clock.advance(3_601_000);
      const refused = await exchange(await sign());
      expect(refused.statusCode).toBe(400);
      expect(detail(refused)).toMatch(/key id `withdrawn` is not among the keys/);
    });

    it('a token expires after 30 minutes', async () => {
      const token = ((await exchange(await issuer.sign(issuer.github('example', 'repo'), { audience, expiresIn: 3 * 3600 }))).json() as { token: string }).token;
      t.clock.advance(31 * 60_000);
      const res = await publish(token, 'tp-crate', '1.5.0');
      expect(res.statusCode).toBe(401);
      expect(detail(res)).toMatch(/expired at/);
    });
  });

  describe('with two trusted issuers of one kind (github.com and a company server)', () => {
    let t2: TestApp;
    let second: TestIssuer;
    let owner: string;
    beforeAll(async () => {
      second = await TestIssuer.start();
      t2 = await createTestApp({
        trustedIssuers: [
          { url: issuer.url, kind: 'github', audience: null },
          { url: second.url, kind: 'github', audience: null },
        ],
      });
      owner = (await t2.userWithToken('dora')).token;
      await t2.publish(owner, { name: 'bound-crate', vers: '1.0.0' });
    });
    afterAll(async () => {
      await t2?.close();
      await second?.close();
    });

    it("binds a configuration to one issuer, so the other's repository of the same name cannot use it", async () => {
      const post = (config: Record<string, unknown>) =>
        t2.app.inject({ method: 'POST', url: '/api/v1/trusted_publishing/github_configs', payload: { github_config: config }, headers: { authorization: owner } });
      const body = { crate: 'bound-crate', repository_owner: 'acme', repository_name: 'widget', workflow_filename: 'release.yml', environment: null };
      const unnamed = await post(body);
      expect(unnamed.statusCode).toBe(400);
      expect(detail(unnamed)).toMatch(/trusts several github issuers .*name the one this configuration is for in `issuer`/);
      const created = await post({ ...body, issuer: issuer.url });
      expect(created.statusCode).toBe(200);
      expect((created.json() as { github_config: { issuer: string } }).github_config.issuer).toBe(issuer.url);
      const swap = (jwt: string) => t2.app.inject({ method: 'POST', url: '/api/v1/trusted_publishing/tokens', payload: { jwt } });
      const impostor = await swap(await second.sign(second.github('acme', 'widget', 'release.yml', { repository_owner_id: '999' }), { audience }));
      expect(impostor.statusCode).toBe(400);
      expect(detail(impostor)).toMatch(/first used by another owner|issuer/);
      expect((await swap(await issuer.sign(issuer.github('acme', 'widget'), { audience }))).statusCode).toBe(200);
    });
  });
});
