import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { findReadme } from '../../../src/db/repositories/readme.repository.js';
import { byClass, parseHtml, textOf } from '../../helpers/html-dom.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';

const VCS_INFO = JSON.stringify({ git: { sha1: '0123456789abcdef0123456789abcdef01234567' }, path_in_vcs: 'crates/tool' });
const PNG = '\x89PNG\r\n\x1a\n';

/** Each version page shows that version; README links resolve against its own .crate and commit. */
describe('version pages and README files', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await createTestApp();
    ({ token } = await t.userWithToken('alice'));
    await t.publish(token, {
      name: 'tool',
      vers: '1.0.0',
      description: 'The first tool',
      keywords: ['alpha'],
      features: { fast: [] },
      readme: '# Tool one\n\n![logo](docs/logo.png) [guide](docs/guide.html) [src](src/lib.rs) [changes](CHANGES.md) ![pic](docs/pic.svg)\n',
      meta: { repository: 'https://github.com/acme/tools', readme_file: 'README.md' },
      files: { 'README.md': '# Tool one', 'docs/logo.png': PNG, 'docs/guide.html': '<script>alert(1)</script>', 'docs/pic.svg': '<svg onload="alert(1)"/>', '.cargo_vcs_info.json': VCS_INFO },
    });
    await t.publish(token, { name: 'tool', vers: '2.0.0', description: 'The second tool', keywords: ['beta'], readme: '# Tool two\n' });
    await t.app.inject({ method: 'PATCH', url: '/api/v1/crates/tool/1.0.0', payload: { version: { yanked: true, yank_message: 'use 2.0: 1.0 eats <b>data</b>' } }, headers: { authorization: token } });
  });
  afterAll(() => t.close());

  const page = async (url: string) => {
    const res = await t.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(200);
    return { body: res.body, doc: parseHtml(res.body) };
  };

  it('shows the README, description, keywords and features of the version in the URL, with the yank banner', async () => {
    const old = await page('/crates/tool/1.0.0');
    const readme = textOf(byClass(old.doc, 'readme')!);
    expect(readme).toContain('Tool one');
    expect(readme).not.toContain('Tool two');
    expect(old.body).toContain('The first tool');
    expect(old.body).toContain('<a href="/crates?keyword=alpha">alpha</a>');
    expect(old.body).not.toContain('keyword=beta');
    expect(textOf(old.doc)).toContain('Features fast');
    const banner = textOf(byClass(old.doc, 'yanked-notice')!);
    expect(banner).toContain('This version was yanked.');
    expect(banner).toContain('cargo no longer picks it for new dependencies');
    expect(banner).toContain('use 2.0: 1.0 eats <b>data</b>');

    const latest = await page('/crates/tool');
    expect(textOf(byClass(latest.doc, 'readme')!)).toContain('Tool two');
    expect(latest.body).toContain('The second tool');
    expect(latest.body).toContain('keyword=beta');
  });

  it('renders the README of a version whose render was not stored from its .crate, on the first view, and stores it', async () => {
    await t.publish(token, { name: 'tool', vers: '1.5.0', readme: '# From the metadata', meta: { readme_file: 'docs/README.md' }, files: { 'docs/README.md': '# From the crate\n\n![l](logo.png)', 'docs/logo.png': PNG } });
    const { id } = await t.runtime.ctx.db.selectFrom('versions').select('id').where('num', '=', '1.5.0').executeTakeFirstOrThrow();
    await t.runtime.ctx.db.deleteFrom('readmes').where('version_id', '=', id).execute();
    const { body, doc } = await page('/crates/tool/1.5.0');
    expect(textOf(byClass(doc, 'readme')!)).toContain('From the crate');
    // Relative to the README's own folder in the package.
    expect(body).toContain('<img src="/crates/tool/1.5.0/source/docs/logo.png"');
    expect(await findReadme(t.runtime.ctx.db, id)).toMatchObject({ format: 'markdown' });
  });

  it('remembers that a version has no README, so no view reads its .crate for one', async () => {
    await t.publish(token, { name: 'bare', vers: '1.0.0' });
    const { id } = await t.runtime.ctx.db.selectFrom('versions').innerJoin('crates', 'crates.id', 'versions.crate_id').select('versions.id').where('crates.name', '=', 'bare').executeTakeFirstOrThrow();
    expect(await findReadme(t.runtime.ctx.db, id)).toMatchObject({ format: 'none', html: '' });
    const reads = vi.spyOn(t.runtime.ctx.blobs, 'get');
    for (let i = 0; i < 2; i++) expect(textOf((await page('/crates/bare')).doc)).toContain('This version has no README.');
    expect(reads).not.toHaveBeenCalled();
    reads.mockRestore();
    expect((await t.app.inject({ url: '/api/v1/crates/bare/1.0.0/readme' })).statusCode).toBe(404);
  });

  it('points relative links at the .crate’s files, or at GitHub at the packaged commit', async () => {
    const { body } = await page('/crates/tool/1.0.0');
    expect(body).toContain('<img src="/crates/tool/1.0.0/source/docs/logo.png"');
    expect(body).toContain('href="/crates/tool/1.0.0/source/docs/guide.html"');
    expect(body).toContain('href="/crates/tool/1.0.0/source/src/lib.rs"');
    expect(body).toContain('href="https://github.com/acme/tools/blob/0123456789abcdef0123456789abcdef01234567/crates/tool/CHANGES.md"');
  });

  it('serves files of the .crate with safe types: images as images, HTML as text, SVG only as an attachment', async () => {
    const get = (path: string) => t.app.inject({ method: 'GET', url: `/crates/tool/1.0.0/source/${path}` });
    const png = await get('docs/logo.png');
    expect(png.statusCode).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    const html = await get('docs/guide.html');
    expect(html.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(html.body).toBe('<script>alert(1)</script>');
    const svg = await get('docs/pic.svg');
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.headers['content-disposition']).toBe('attachment');
    for (const res of [png, html, svg]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    }
    expect((await get('src/lib.rs')).body).toBe('pub fn hello() {}\n');
    expect((await get('nope.txt')).statusCode).toBe(404);
    expect((await get('../../etc/passwd')).statusCode).toBe(404);
  });
});
