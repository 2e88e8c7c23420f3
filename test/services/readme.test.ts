import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { findReadme } from '../../src/db/repositories/readme.repository.js';
import { Readmes } from '../../src/services/readme/readme.service.js';
import { DEFAULT_RENDERER_OPTIONS, ReadmeRenderer } from '../../src/services/readme/renderer.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/** Nested unclosed inline tags: tens of seconds of sanitizing, far past any budget below. */
const HOSTILE = `<script>&"'</script>\n${'<a><b><i>'.repeat(Math.floor((512 * 1024) / 9))}`;

describe('README renders', () => {
  let t: TestApp;
  let token: string;
  const renderers: ReadmeRenderer[] = [];
  const renderer = (budgetMs: number) => {
    const r = new ReadmeRenderer({ ...DEFAULT_RENDERER_OPTIONS, budgetMs });
    renderers.push(r);
    return r;
  };
  const versionId = async (name: string, num: string) =>
    (
      await t.runtime.ctx.db
        .selectFrom('versions')
        .innerJoin('crates', 'crates.id', 'versions.crate_id')
        .select('versions.id')
        .where('crates.name', '=', name)
        .where('versions.num', '=', num)
        .executeTakeFirstOrThrow()
    ).id;

  beforeAll(async () => {
    t = await createTestApp();
    ({ token } = await t.userWithToken('alice'));
  });
  afterAll(async () => {
    await Promise.all(renderers.map((r) => r.close()));
    await t.close();
  });

  it('stores a README that overruns the budget as escaped text with a note, and never renders it again', async () => {
    await t.publish(token, { name: 'slow-readme', vers: '1.0.0', readme: HOSTILE });
    const id = await versionId('slow-readme', '1.0.0');
    const row = await findReadme(t.runtime.ctx.db, id);
    expect(row?.format).toBe('plain');
    expect(row?.html).toMatch(/^<p class="readme-note">This README took longer than the 2 s allowed to render, so it is shown as plain text\.<\/p>/);
    expect(row?.html).toContain('<pre class="readme-plain">&lt;script&gt;&amp;&quot;&#39;&lt;/script&gt;\n&lt;a&gt;&lt;b&gt;&lt;i&gt;');
    expect(row?.html).not.toContain('<script>');

    // A service with nothing in memory (another instance, or after a restart) reads the stored result.
    const fresh = new Readmes(t.runtime.ctx, renderer(60_000));
    const renders = vi.spyOn(fresh.renderer, 'render');
    for (let view = 0; view < 3; view++) expect((await fresh.forVersion(id, async () => ({ source: HOSTILE, context: null })))?.html).toBe(row?.html);
    expect(renders).not.toHaveBeenCalled();
  }, 60_000);

  it('renders a README published before renders were stored once, on its first views, and stores it', async () => {
    await t.publish(token, { name: 'old-readme', vers: '1.0.0', readme: '# Old\n\n*kept*' });
    const id = await versionId('old-readme', '1.0.0');
    await t.runtime.ctx.db.deleteFrom('readmes').where('version_id', '=', id).execute();

    const readmes = new Readmes(t.runtime.ctx, renderer(10_000));
    const renders = vi.spyOn(readmes.renderer, 'render');
    const views = await Promise.all([1, 2, 3].map(() => readmes.forVersion(id, async () => ({ source: '# Old\n\n*kept*', context: null }))));
    expect(new Set(views.map((v) => v?.html))).toEqual(new Set(['<h3 id="user-content-old">Old<a class="heading-anchor" href="#user-content-old" title="Link to this section" rel="nofollow noopener noreferrer"></a></h3>\n<p><em>kept</em></p>\n']));
    expect(renders).toHaveBeenCalledTimes(1);
    expect(await findReadme(t.runtime.ctx.db, id)).toMatchObject({ format: 'markdown', html: views[0]!.html });
  });

  it('shows as text a README whose HTML would exceed the limit (reference links multiply their target)', async () => {
    const source = `[x]: https://example.com/a/long/path/that/every/reference/repeats\n\n${'[x] '.repeat(40_000)}`;
    const readmes = new Readmes(t.runtime.ctx, renderer(60_000));
    const prepared = await readmes.prepare(source);
    expect(prepared?.format).toBe('plain');
    expect(prepared?.html).toContain(`renders to more than ${DEFAULT_RENDERER_OPTIONS.maxHtml / 1024 / 1024} MiB of HTML`);
    expect(prepared!.html.length).toBeLessThan(source.length * 2);
  }, 60_000);

  it('terminates a render that overruns its budget and renders the next README in a fresh worker', async () => {
    const r = renderer(200);
    expect(await r.render(HOSTILE)).toEqual({ kind: 'over-budget' });
    expect(await r.render('**bold**')).toEqual({ kind: 'html', html: '<p><strong>bold</strong></p>\n' });
  }, 60_000);

  it('answers "unavailable" at once rather than queue behind more renders than it allows', async () => {
    const r = new ReadmeRenderer({ ...DEFAULT_RENDERER_OPTIONS, budgetMs: 300, maxQueued: 1 });
    renderers.push(r);
    const running = r.render(HOSTILE);
    const waiting = r.render(HOSTILE);
    expect(await r.render('text')).toEqual({ kind: 'unavailable' });
    // A caller that waits behind nothing is refused while one render waits.
    expect(await r.render('text', 0)).toEqual({ kind: 'unavailable' });
    expect(await running).toEqual({ kind: 'over-budget' });
    expect(await waiting).toEqual({ kind: 'over-budget' });
    expect(await r.render('text', 0)).toEqual({ kind: 'html', html: '<p>text</p>\n' });
  }, 60_000);

  it('answers "unavailable" once closed, so that nothing is stored for a README nobody rendered', async () => {
    const r = renderer(1000);
    await r.close();
    expect(await r.render('text')).toEqual({ kind: 'unavailable' });
    expect(await new Readmes(t.runtime.ctx, r).prepare('text')).toBeNull();
  });
});
