import { describe, expect, it } from 'vitest';
import { decodeImageUrl } from '../../../src/services/image-proxy/image-signer.js';
import type { ReadmeContext } from '../../../src/services/readme/readme-links.js';
import { renderReadme } from '../../../src/services/readme/render.js';

const base: ReadmeContext = {
  crate: 'demo',
  version: '1.2.0',
  readmePath: 'README.md',
  repository: null,
  commit: null,
  pathInVcs: '',
  files: ['Cargo.toml', 'README.md', 'src/lib.rs', 'docs/logo.png', 'docs/guide.md'],
};

/** The URL an unsigned proxied image stands for. */
const proxied = (html: string) => [...html.matchAll(/src="\/img\/unsigned\/([A-Za-z0-9_-]+)"/g)].map((m) => decodeImageUrl(m[1]!));
const hrefs = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

describe('README relative links and images', () => {
  const readme = '[guide](docs/guide.md) [contributing](CONTRIBUTING.md#how) ![logo](docs/logo.png) ![shot](assets/shot.png)';

  it('points files the .crate has at the .crate itself, whatever the repository', () => {
    for (const repository of [null, 'https://github.com/acme/demo', 'https://git.example.org/acme/demo']) {
      const html = renderReadme(readme, { ...base, repository });
      expect(hrefs(html)).toContain('/crates/demo/1.2.0/source/docs/guide.md');
      expect(html).toContain('src="/crates/demo/1.2.0/source/docs/logo.png"');
    }
  });

  it('points the rest at GitHub blob (links) and raw (images, proxied) at the commit of .cargo_vcs_info.json', () => {
    const html = renderReadme(readme, { ...base, repository: 'https://github.com/acme/demo.git', commit: 'a1b2c3d4', pathInVcs: 'crates/demo' });
    expect(hrefs(html)).toContain('https://github.com/acme/demo/blob/a1b2c3d4/crates/demo/CONTRIBUTING.md#how');
    expect(proxied(html)).toEqual(['https://raw.githubusercontent.com/acme/demo/a1b2c3d4/crates/demo/assets/shot.png']);
  });

  it('uses the default branch (HEAD) without a commit, and GitLab URLs for GitLab', () => {
    const html = renderReadme(readme, { ...base, repository: 'https://gitlab.com/group/sub/demo' });
    expect(hrefs(html)).toContain('https://gitlab.com/group/sub/demo/-/blob/HEAD/CONTRIBUTING.md#how');
    expect(proxied(html)).toEqual(['https://gitlab.com/group/sub/demo/-/raw/HEAD/assets/shot.png']);
  });

  it('resolves a README outside the package (readme = "../../README.md") from the repository root', () => {
    const html = renderReadme('![x](img/x.png)', { ...base, readmePath: '../../README.md', repository: 'https://github.com/acme/demo', pathInVcs: 'crates/demo' });
    expect(proxied(html)).toEqual(['https://raw.githubusercontent.com/acme/demo/HEAD/img/x.png']);
  });

  it('keeps other hosts on the .crate path, and never lets a path climb out of the package', () => {
    const html = renderReadme('[a](CHANGELOG.md) [b](../../etc/passwd) ![c](../up.png)', { ...base, repository: 'https://git.example.org/acme/demo' });
    expect(hrefs(html)[0]).toBe('/crates/demo/1.2.0/source/CHANGELOG.md');
    expect(html).not.toContain('passwd"');
    expect(html).not.toContain('up.png');
  });

  it('sends absolute images through the proxy and keeps absolute links', () => {
    const html = renderReadme('[![ci](https://img.shields.io/badge/a-b-green.svg?x=1&y=2)](https://ci.example/run)', base);
    expect(proxied(html)).toEqual(['https://img.shields.io/badge/a-b-green.svg?x=1&y=2']);
    expect(hrefs(html)).toEqual(['https://ci.example/run']);
  });
});

describe('README rendering', () => {
  it('highlights Rust, TOML, shell and JSON on the server', () => {
    const html = renderReadme('```rust\nfn main() {}\n```\n\n```toml\n[dependencies]\n```\n\n```sh\necho hi\n```\n\n```json\n{"a": 1}\n```\n\n```cobol\nDISPLAY\n```');
    expect(html).toContain('<code class="language-rust"><span class="hljs-keyword">fn</span>');
    expect(html).toContain('<span class="hljs-section">[dependencies]</span>');
    expect(html).toMatch(/<code class="language-sh"><span class="hljs-built_in">echo<\/span>/);
    expect(html).toMatch(/<code class="language-json">.*<span class="hljs-attr">(&quot;|")a(&quot;|")<\/span>/);
    expect(html).toContain('<code class="language-cobol">DISPLAY');
  });

  it('gives headings user-content- anchors, unique ones for repeats, and prefixes fragment links and authors’ ids', () => {
    const html = renderReadme('# Getting Started!\n\n## Getting Started\n\n[go](#getting-started-1) <span id="mine">x</span>');
    expect(html).toContain('<h3 id="user-content-getting-started">');
    expect(html).toContain('<h4 id="user-content-getting-started-1">');
    expect(html).toContain('<a href="#user-content-getting-started-1" rel="nofollow noopener noreferrer">go</a>');
    expect(html).toContain('<span id="user-content-mine">');
  });

  it('ends each heading with an empty link to itself, which the stylesheet draws as "#"', () => {
    const html = renderReadme('# Install\n\n## Install\n');
    expect(html).toContain('<h3 id="user-content-install">Install<a class="heading-anchor" href="#user-content-install" title="Link to this section" rel="nofollow noopener noreferrer"></a></h3>');
    expect(html).toContain('<h4 id="user-content-install-1">Install<a class="heading-anchor" href="#user-content-install-1"');
  });

  it('renders task lists as disabled checkboxes, and drops any other input', () => {
    const html = renderReadme('- [ ] todo\n- [x] done\n\n<input type="text" name="p"><input type="checkbox" onclick="x()">');
    expect(html).toContain('<li class="task-list-item"><input type="checkbox" disabled /> todo</li>');
    expect(html).toContain('<input type="checkbox" disabled checked /> done');
    expect(html).not.toContain('type="text"');
    expect(html).not.toContain('onclick');
  });

  it('renders footnotes with prefixed ids and back links', () => {
    const html = renderReadme('Claim[^1].\n\n[^1]: Source.');
    expect(html).toContain('<a href="#user-content-fn1" id="user-content-fnref1"');
    expect(html).toContain('<li id="user-content-fn1" class="footnote-item">');
    expect(html).toContain('href="#user-content-fnref1" class="footnote-backref"');
  });

  it('renders GitHub alerts, and leaves an unknown marker a blockquote', () => {
    const html = renderReadme('> [!WARNING]\n> Mind the gap.\n\n> [!tip]\n> Small.\n\n> [!OTHER]\n> Plain.');
    expect(html).toContain('<div class="markdown-alert markdown-alert-warning">\n<p class="markdown-alert-title">Warning</p>\n<p>Mind the gap.</p>\n</div>');
    expect(html).toContain('<div class="markdown-alert markdown-alert-tip">');
    expect(html).toContain('<blockquote>\n<p>[!OTHER]');
  });

  it('keeps tables', () => {
    expect(renderReadme('| a | b |\n|---|---|\n| 1 | 2 |')).toContain('<td>1</td>');
  });

  it('still strips what is dangerous, and an author cannot plant an unsigned proxy path', () => {
    const html = renderReadme('<img src="/img/unsigned/aHR0cDovLzEyNy4wLjAuMS8" onerror="x()"><a href="javascript:alert(1)" class="footnote-backref evil">x</a><div class="markdown-alert x">y</div><script>1</script>');
    expect(html).not.toMatch(/onerror|javascript:|<script|evil|class="markdown-alert x"/);
    expect(proxied(html)).toEqual([]);
  });
});
