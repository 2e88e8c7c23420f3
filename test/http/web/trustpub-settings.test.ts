import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, createWebApp, csrfOf, type WebTestApp } from '../../helpers/web.js';

/** A crate's trusted-publishing settings page: owners add and remove publishers and set trusted-publishing-only. */
describe('the trusted publishing settings page', () => {
  let t: WebTestApp;
  let alice: Browser;
  let bob: Browser;
  const page = '/crates/web-crate/settings/trusted-publishing';

  beforeAll(async () => {
    t = await createWebApp({ trustedIssuers: [{ url: 'http://127.0.0.1:9/issuer', kind: 'github', audience: null }] });
    const aliceId = (await t.account('alice')).id;
    await t.account('bob');
    const { token } = await t.tokenFor(aliceId);
    await t.publish(token, { name: 'web-crate', vers: '1.0.0' });
    alice = t.browser();
    await alice.login('alice');
    bob = t.browser();
    await bob.login('bob');
  });
  afterAll(() => t.close());

  it('is linked from the crate page for owners only', async () => {
    expect((await alice.get('/crates/web-crate')).body).toContain(`href="${page}"`);
    expect((await bob.get('/crates/web-crate')).body).not.toContain(page);
  });

  it('adds a GitHub publisher, lists it, and removes it', async () => {
    const added = await alice.submit(page, `${page}/github`, { repository_owner: 'example', repository_name: 'repo', workflow_filename: 'release.yml', environment: '' });
    expect(added.statusCode).toBe(303);
    expect(added.headers.location).toBe(`${page}?notice=added`);
    const shown = await alice.get(`${page}?notice=added`);
    expect(shown.body).toContain('example/repo');
    expect(shown.body).toContain('The trusted publisher was added');
    const action = /action="([^"]+\/github\/\d+\/delete)"/.exec(shown.body)![1]!;
    const removed = await alice.post(action, { _csrf: csrfOf(shown.body) });
    expect(removed.headers.location).toBe(`${page}?notice=removed`);
    expect((await alice.get(page)).body).not.toContain('example/repo');
  });

  it('shows a refused field as an error page with its reason', async () => {
    const res = await alice.submit(page, `${page}/gitlab`, { namespace: 'group', project: 'proj', workflow_filepath: 'ci.txt', environment: '' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/workflow_filepath.* must end with .*.yml.* or .*.yaml/);
  });

  it('turns trusted publishing only on', async () => {
    const res = await alice.submit(page, `${page}/only`, { value: 'on' });
    expect(res.headers.location).toBe(`${page}?notice=only-on`);
    const row = await t.runtime.ctx.db.selectFrom('crates').select('trustpub_only').where('name', '=', 'web-crate').executeTakeFirstOrThrow();
    expect(row.trustpub_only).toBe(1);
  });

  it('refuses anyone but an owner, and forms without the session CSRF token', async () => {
    expect((await bob.get(page)).statusCode).toBe(403);
    expect((await bob.submit('/me', `${page}/github`, { repository_owner: 'x', repository_name: 'y', workflow_filename: 'a.yml' })).statusCode).toBe(403);
    expect((await alice.post(`${page}/only`, { value: 'off', _csrf: 'nonsense' })).statusCode).toBe(403);
    const anon = await t.browser().get(page);
    expect(anon.statusCode).toBe(303);
  });

  it('asks which issuer a publisher trusts when the registry trusts several of its kind, and shows it', async () => {
    const issuers = ['http://127.0.0.1:9/gitlab-a', 'http://127.0.0.1:9/gitlab-b'];
    const many = await createWebApp({
      trustedIssuers: [...issuers.map((url) => ({ url, kind: 'gitlab' as const, audience: null })), { url: 'http://127.0.0.1:9/issuer', kind: 'github' as const, audience: null }],
    });
    try {
      const ownerId = (await many.account('carol')).id;
      await many.publish((await many.tokenFor(ownerId)).token, { name: 'web-crate', vers: '1.0.0' });
      const carol = many.browser();
      await carol.login('carol');
      const form = (await carol.get(page)).body;
      expect(form).toContain('<select id="gitlab-issuer" name="issuer" required>');
      for (const url of issuers) expect(form).toContain(`<option value="${url}">`);
      expect(form).toContain('Issuer: http://127.0.0.1:9/issuer');
      expect(form).not.toContain('id="github-issuer"');

      const unnamed = await carol.submit(page, `${page}/gitlab`, { namespace: 'group', project: 'proj', workflow_filepath: '.gitlab-ci.yml' });
      expect(unnamed.statusCode).toBe(400);
      expect(unnamed.body).toContain('trusts several gitlab issuers');
      const foreign = await carol.submit(page, `${page}/gitlab`, { issuer: 'http://127.0.0.1:9/elsewhere', namespace: 'group', project: 'proj', workflow_filepath: '.gitlab-ci.yml' });
      expect(foreign.statusCode).toBe(400);

      const added = await carol.submit(page, `${page}/gitlab`, { issuer: issuers[1]!, namespace: 'group', project: 'proj', workflow_filepath: '.gitlab-ci.yml' });
      expect(added.statusCode).toBe(303);
      const row = await many.runtime.ctx.db.selectFrom('trustpub_configs').select('issuer').executeTakeFirstOrThrow();
      expect(row.issuer).toBe(issuers[1]);
      expect((await carol.get(page)).body).toContain(`<td>${issuers[1]}</td><td>group/proj</td>`);
    } finally {
      await many.close();
    }
  });
});
