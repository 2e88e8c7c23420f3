import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrateSpec } from '../../helpers/crate-builder.js';
import { attr, byClass, elements, executableVectors, parseHtml, textOf } from '../../helpers/html-dom.js';
import { createWebApp, type WebTestApp } from '../../helpers/web.js';

/** Hostile READMEs: each must render with nothing a browser would run or follow off-site unmarked. */
const CORPUS: Array<[string, string]> = [
  ['script tag', '<script>alert(1)</script>'],
  ['external script, upper case', '<SCRIPT SRC=//evil.example/x.js></SCRIPT>'],
  ['img onerror', '<img src=x onerror=alert(1)>'],
  ['img javascript: src', `<IMG SRC="javascript:alert('XSS');">`],
  ['svg onload', '<svg onload=alert(1)>'],
  ['script inside svg', '<svg><script>alert(1)</script></svg>'],
  ['iframe', '<iframe src="https://evil.example"></iframe>'],
  ['iframe srcdoc', '<iframe srcdoc="<script>alert(1)</script>"></iframe>'],
  ['markdown javascript: link', '[click](javascript:alert(1))'],
  ['markdown mixed-case javascript: link', '[click](JaVaScRiPt:alert(1))'],
  ['markdown data: link', '[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)'],
  ['markdown javascript: image', '![x](javascript:alert(1))'],
  ['markdown reference link', '[x]: javascript:alert(1)\n\n[link][x]'],
  ['markdown autolink', '<javascript:alert(1)>'],
  ['html javascript: link', '<a href="javascript:alert(1)">x</a>'],
  ['decimal entity javascript:', '<a href="&#106;avascript:alert(1)">x</a>'],
  ['hex entities javascript:', '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>'],
  ['named-entity colon', '<a href="javascript&colon;alert(1)">x</a>'],
  ['tab inside the scheme', '<a href="jav&#x09;ascript:alert(1)">x</a>'],
  ['leading space and newline', '<a href=" \njavascript:alert(1)">x</a>'],
  ['vbscript: link', '<a href="vbscript:msgbox(1)">x</a>'],
  ['data: html link', '<a href="data:text/html,<script>alert(1)</script>">x</a>'],
  ['data: svg image', '<img src="data:image/svg+xml,<svg onload=alert(1)>">'],
  ['style attribute with url()', '<div style="background:url(javascript:alert(1))">x</div>'],
  ['style expression()', '<p style="width: expression(alert(1))">x</p>'],
  ['style element', '<style>body{background:url("javascript:alert(1)")}</style>'],
  ['form and input', '<form action="https://evil.example"><input name=p><button>go</button></form>'],
  ['input autofocus onfocus', '<input autofocus onfocus=alert(1)>'],
  ['meta refresh', '<meta http-equiv="refresh" content="0;url=https://evil.example">'],
  ['base href', '<base href="https://evil.example/">'],
  ['object', '<object data="javascript:alert(1)"></object>'],
  ['embed', '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">'],
  ['stylesheet link', '<link rel=stylesheet href=https://evil.example/x.css>'],
  ['body onload', '<body onload=alert(1)>'],
  ['details ontoggle', '<details open ontoggle=alert(1)><summary>s</summary></details>'],
  ['video source onerror', '<video><source onerror="alert(1)"></video>'],
  ['nested script tags', '<<script>script>alert(1)<</script>/script>'],
  ['unterminated tag', '<img src=x onerror=alert(1)//'],
  ['unterminated attribute', '<a href="javascript:alert(1)'],
  ['handler split by a newline', '<img src="x" onerror\n=alert(1)>'],
  ['mutation XSS through math/style', '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>'],
  ['noscript title breakout', '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>'],
  ['template with script', '<template><script>alert(1)</script></template>'],
  ['xmp with script', '<xmp><script>alert(1)</script></xmp>'],
  ['onclick and target on a good link', '<a href="https://ok.example/" onclick="alert(1)" target="_blank" rel="opener">ok</a>'],
  ['protocol-relative link', '<a href="//evil.example/x">x</a>'],
  ['markdown link with title breakout', '[x](https://ok.example/ "a\\" onmouseover=\\"alert(1))'],
  ['heading with id clobbering', '<h1 id="main" name="csrf">clobber</h1>'],
];

describe('XSS through READMEs', () => {
  let t: WebTestApp;
  let token: string;

  const publish = (spec: CrateSpec) => t.publish(token, spec);

  beforeAll(async () => {
    t = await createWebApp();
    const alice = await t.account('alice');
    token = (await t.tokenFor(alice.id)).token;
    for (const [i, [, readme]] of CORPUS.entries()) {
      await publish({ name: `xss-${i}`, vers: '1.0.0', readme: `# Title\n\nBefore.\n\n${readme}\n\nAfter the payload ${i}.\n` });
    }
  });
  afterAll(() => t.close());

  it('has a corpus of at least 25 hostile snippets', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(25);
  });

  it('the checker sees every vector it looks for in unsanitized HTML', () => {
    const raw = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '<a href="&#106;avascript:alert(1)">x</a>',
      '<a href="jav&#x09;ascript:alert(1)">x</a>',
      '<iframe src="https://evil.example"></iframe>',
      '<p style="x:expression(1)">x</p>',
      '<meta http-equiv="refresh" content="0">',
      '<base href="https://evil.example/">',
      '<form action="https://evil.example"></form>',
      '<a href="https://ok.example/">no rel</a>',
      '<img src="data:image/svg+xml,x">',
    ];
    expect(raw.map((h) => executableVectors(h).length > 0)).toEqual(raw.map(() => true));
  });

  const ALLOWED = new Set(['h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'blockquote', 'pre', 'code', 'em', 'strong', 'b', 'i', 'del', 's', 'ul', 'ol', 'li', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'a', 'img', 'details', 'summary', 'span', 'div', 'sup', 'section', 'input']);

  it.each(CORPUS.map(([label], i) => [label, i] as const))('renders %s harmlessly', async (_label, i) => {
    const res = await t.browser().get(`/crates/xss-${i}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(executableVectors(res.body)).toEqual([]);
    const readme = byClass(parseHtml(res.body), 'readme');
    expect(readme, 'the README is rendered').toBeDefined();
    for (const e of elements(readme!)) {
      expect(ALLOWED.has(e.name), `<${e.name}> in the README`).toBe(true);
      const id = attr(e, 'id');
      if (id !== undefined) expect(id, 'no ids that clobber the page').toMatch(/^user-content-/);
      expect(attr(e, 'style')).toBeUndefined();
      const href = attr(e, 'href') ?? attr(e, 'src');
      if (href !== undefined) expect(href, 'only http(s), mailto and local links').toMatch(/^(https?:\/\/|mailto:|\/(?!\/)|#|[a-z0-9_.-]+$)/i);
      if (e.name === 'a' && attr(e, 'href')) expect(attr(e, 'rel')).toBe('nofollow noopener noreferrer');
      expect(attr(e, 'target')).toBeUndefined();
    }
    // The text around the payload survives: sanitizing removes the attack, not the README
    // (an unterminated <style> inside <math> swallows what follows, as it would in a browser).
    expect(textOf(readme!)).toContain('Title Before.');
    if (!CORPUS[i]![1].includes('<style><img')) expect(textOf(readme!)).toContain(`After the payload ${i}.`);
  });

  it('keeps harmless markup: links get rel, code keeps its language class, headings move below the page’s', async () => {
    await publish({ name: 'good-readme', vers: '1.0.0', readme: '# Good\n\nSee [docs](https://docs.example/x) and https://auto.example/.\n\n```rust\nlet x = 1 < 2;\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n' });
    const res = await t.browser().get('/crates/good-readme');
    const readme = byClass(parseHtml(res.body), 'readme')!;
    const links = elements(readme).filter((e) => e.name === 'a');
    expect(links.map((a) => [attr(a, 'href'), attr(a, 'rel')])).toEqual([
      ['#user-content-good', 'nofollow noopener noreferrer'],
      ['https://docs.example/x', 'nofollow noopener noreferrer'],
      ['https://auto.example/', 'nofollow noopener noreferrer'],
    ]);
    expect(elements(readme).find((e) => e.name === 'code' && attr(e, 'class') === 'language-rust')).toBeDefined();
    expect(textOf(readme)).toContain('let x = 1 < 2;');
    expect(elements(readme).some((e) => e.name === 'table')).toBe(true);
    expect(elements(readme).map((e) => e.name)).toContain('h3');
  });
});

describe('XSS through crate metadata', () => {
  let t: WebTestApp;
  const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'><svg onload=alert(3)>';

  beforeAll(async () => {
    t = await createWebApp();
    const alice = await t.account('alice');
    const { token } = await t.tokenFor(alice.id, { name: HOSTILE });
    // What the publish checks let through: any description, odd but valid versions and features,
    // and http(s) URLs that try to break out of their attribute.
    const spec: CrateSpec = {
      name: 'meta-xss',
      vers: '1.0.0-alpha.1+build.5',
      description: HOSTILE,
      features: { 'a+b.c': ['dep:x'], 'é-ü': [] },
      keywords: ['xss'],
      meta: {
        repository: 'https://example.com/"onmouseover="alert(1)',
        homepage: 'https://example.com/<script>alert(1)</script>',
        license: HOSTILE,
        categories: [HOSTILE],
      },
    };
    await t.publish(token, spec);
    // And what older data, another tool or a future, laxer check could put in the database.
    const db = t.runtime.ctx.db;
    const crate = await db.selectFrom('crates').select('id').where('name', '=', 'meta-xss').executeTakeFirstOrThrow();
    await db
      .updateTable('crates')
      .set({
        repository: 'javascript:alert(1)',
        documentation: ' JaVaScRiPt:alert(1)',
        homepage: 'data:text/html,<script>alert(1)</script>',
        keywords: JSON.stringify([HOSTILE, 'javascript:alert(1)']),
      })
      .where('id', '=', crate.id)
      .execute();
    const version = await db.selectFrom('versions').select('id').where('crate_id', '=', crate.id).executeTakeFirstOrThrow();
    await db
      .insertInto('versions')
      .values({
        crate_id: crate.id,
        num: '0.9.0-<b>old</b>',
        num_no_build: '0.9.0-<b>old</b>',
        checksum: '0'.repeat(64),
        features: JSON.stringify({ [HOSTILE]: [HOSTILE] }),
        links: null,
        rust_version: HOSTILE,
        license: HOSTILE,
        description: HOSTILE,
        crate_size: 10,
        yanked: 1,
        downloads: 0,
        published_by: alice.id,
        created_at: '2020-01-01T00:00:00.000Z',
        updated_at: '2020-01-01T00:00:00.000Z',
      })
      .execute();
    await db
      .insertInto('dependencies')
      .values({ version_id: version.id, name: HOSTILE, explicit_name: HOSTILE, req: HOSTILE, features: JSON.stringify([HOSTILE]), optional: 1, default_features: 0, target: HOSTILE, kind: 'normal', registry: HOSTILE })
      .execute();
    await t.account('root', { admin: true });
  });
  afterAll(() => t.close());

  it.each(['/crates/meta-xss', `/crates/meta-xss/${encodeURIComponent('0.9.0-<b>old</b>')}`, '/search?q=meta', '/', '/users/alice'])('escapes everything on %s', async (url) => {
    const res = await t.browser().get(url);
    expect(res.statusCode).toBe(200);
    expect(executableVectors(res.body)).toEqual([]);
    const all = elements(parseHtml(res.body));
    // Wharf's own script file is on every page; nothing else may be.
    const own = (e: (typeof all)[number]) => e.name === 'script' && /^\/static\/wharf\.[0-9a-f]+\.js$/.test(attr(e, 'src') ?? '');
    expect(all.some((e) => (['script', 'svg', 'b'].includes(e.name) && !own(e)) || e.name === 'img')).toBe(false);
    // The hostile text is shown as text.
    if (url !== '/users/alice' && !url.startsWith('/crates/meta-xss/')) expect(textOf(parseHtml(res.body))).toContain('<script>alert(1)</script>');
  });

  it('links to repository, homepage and documentation only when they are http(s)', async () => {
    const res = await t.browser().get('/crates/meta-xss');
    const external = elements(parseHtml(res.body)).filter((e) => e.name === 'a' && !/^\/|^#/.test(attr(e, 'href') ?? '/'));
    expect(external).toEqual([]);
    // The real http(s) URL from the publish links, percent-encoded so it cannot leave its attribute.
    await t.runtime.ctx.db.updateTable('crates').set({ repository: 'https://example.com/"onmouseover="alert(1)' }).execute();
    const again = await t.browser().get('/crates/meta-xss');
    const repo = elements(parseHtml(again.body)).filter((e) => e.name === 'a' && /^https:/.test(attr(e, 'href') ?? ''));
    expect(repo.map((a) => attr(a, 'href'))).toEqual(['https://example.com/%22onmouseover=%22alert(1)']);
    expect(Object.keys(repo[0]!.attribs).sort()).toEqual(['href', 'rel']);
  });

  it('escapes token names and audit details on /me and the audit log', async () => {
    const admin = t.browser();
    await admin.login('root');
    const audit = await admin.get('/admin/audit');
    expect(audit.statusCode).toBe(200);
    expect(executableVectors(audit.body)).toEqual([]);
    expect(textOf(parseHtml(audit.body))).toContain('<script>alert(1)</script>');
  });
});
