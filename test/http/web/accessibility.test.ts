import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addTeamMember, createTeam } from '../../../src/services/owners/team.service.js';
import { accessibilityProblems } from '../../helpers/html-dom.js';
import { type Browser, createWebApp, csrfOf, fieldOf, type WebTestApp } from '../../helpers/web.js';

/**
 * A smoke check of every main page: lang and title set, one h1 and no skipped heading level,
 * every control labelled, buttons that are buttons, no positive tabindex.
 */
describe('accessibility of the pages', () => {
  let t: WebTestApp;
  let admin: Browser;
  const pages = new Map<string, string>();

  beforeAll(async () => {
    t = await createWebApp({ allowSignup: true });
    const root = await t.account('root', { admin: true });
    const { token } = await t.tokenFor(root.id);
    const readme = '# My crate\n\nIntro.\n\n## Usage\n\n```rust\nuse my_crate;\n```\n\n### Details\n\n| a | b |\n|---|---|\n| 1 | 2 |\n';
    for (let i = 0; i < 22; i++) {
      await t.publish(token, { name: `a11y-${i}`, vers: '1.0.0', readme });
    }
    // An invitation for root to answer, and a team with a member, so their pages show their tables.
    const other = await t.account('other');
    const otherToken = (await t.tokenFor(other.id)).token;
    await t.publish(otherToken, { name: 'a11y-invited', vers: '1.0.0' });
    await t.app.inject({ method: 'PUT', url: '/api/v1/crates/a11y-invited/owners', headers: { authorization: otherToken }, payload: { users: ['root'] } });
    await createTeam(t.runtime.ctx, { actor: null }, { name: 'core', description: 'Core team' });
    await addTeamMember(t.runtime.ctx, { actor: null }, 'core', 'root');
    const anon = t.browser();
    admin = t.browser();
    await admin.login('root');
    for (const url of ['/', '/search?q=a11y&page=2', '/crates/a11y-1', '/crates/a11y-1/1.0.0', '/users/root', '/login', '/signup', '/no-such-page']) {
      pages.set(`${url} (anonymous)`, (await anon.get(url)).body);
    }
    for (const url of ['/', '/me', '/me/invitations', '/admin/users', '/admin/teams', '/admin/tokens', '/admin/audit', '/crates/a11y-2']) pages.set(url, (await admin.get(url)).body);
    const me = await admin.get('/me');
    pages.set('token created', (await admin.post('/me/tokens', { _csrf: csrfOf(me.body), nonce: fieldOf(me.body, 'nonce'), name: 'x', scopes: 'read', crates: '*', expiry: '7' })).body);
    pages.set('token form refused', (await admin.post('/me/tokens', { _csrf: csrfOf(me.body), nonce: 'B'.repeat(22), name: '', scopes: 'read', crates: '*', expiry: '7' })).body);
    const tokensPage = await admin.get('/admin/tokens');
    pages.set('revoke-all confirmation', (await admin.post('/admin/tokens/revoke-all', { _csrf: csrfOf(tokensPage.body), reason: 'drill' })).body);
    pages.set('sign-in refused', (await anon.post('/login', { _csrf: csrfOf(pages.get('/login (anonymous)')!), login: 'root', password: 'wrong password' })).body);
    pages.set('403', (await anon.post('/me/tokens', {})).body);
    // Once the re-authentication window has closed: the forms with a password field, and the confirmation page.
    t.clock.advance(16 * 60_000);
    for (const url of ['/me', '/admin/users', '/admin/teams']) pages.set(`${url} (password asked again)`, (await admin.get(url)).body);
    pages.set('password confirmation', (await admin.submit('/admin/users', '/admin/users/root/unadmin')).body);
  });
  afterAll(() => t.close());

  it('covers the main pages', () => {
    expect(pages.size).toBe(25);
    expect(pages.get('password confirmation')).toContain('<h1>Confirm your password</h1>');
    expect(pages.get('/me (password asked again)')).toContain('name="sudo_password"');
    expect(pages.get('/me/invitations')).toContain('a11y-invited');
    expect(pages.get('/admin/teams')).toContain('team:core');
  });

  it.each([
    '/ (anonymous)', '/search?q=a11y&page=2 (anonymous)', '/crates/a11y-1 (anonymous)', '/crates/a11y-1/1.0.0 (anonymous)', '/users/root (anonymous)',
    '/login (anonymous)', '/signup (anonymous)', '/no-such-page (anonymous)', '/', '/me', '/me/invitations', '/admin/users', '/admin/teams', '/admin/tokens', '/admin/audit', '/crates/a11y-2',
    'token created', 'token form refused', 'revoke-all confirmation', 'sign-in refused', '403',
    '/me (password asked again)', '/admin/users (password asked again)', '/admin/teams (password asked again)', 'password confirmation',
  ])('%s', (name) => {
    const html = pages.get(name);
    expect(html, name).toBeDefined();
    expect(accessibilityProblems(html!)).toEqual([]);
  });

  it('the checker finds what it looks for', () => {
    const bad = `<!doctype html><html><head><title></title></head><body><h2>x</h2><h1>a</h1><h1>b</h1><h4>c</h4>
<form action="/x"><input name="q"><select name="s"></select><span role="button" tabindex="2">go</span><a>nowhere</a></form><p id="d"></p><p id="d"></p></body></html>`;
    expect(accessibilityProblems(bad)).toEqual([
      '<html> has no lang',
      'no <title>',
      'expected one h1, found 2',
      'the first heading is h2',
      'heading h4 follows h1',
      'form /x has no submit button',
      'unlabelled <input name=q>',
      'unlabelled <select name=s>',
      'positive tabindex on <span>',
      '<span> acting as a button',
      '<a> without href cannot be focused',
      'duplicate ids d',
    ]);
  });
});
