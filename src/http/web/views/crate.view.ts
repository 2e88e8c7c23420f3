import { describeProvenance, type TrustpubData } from '../../../core/trustpub-claims.js';
import type { DependencyRow } from '../../../db/repositories/crate.repository.js';
import type { CratePage } from '../../../services/browse.service.js';
import { count, date, externalLink, html, type Html, seg, trusted } from '../html.js';
import { layout, type Shell } from '../layout.js';

const KINDS: ReadonlyArray<[keyof CratePage['dependencies'], string]> = [
  ['normal', 'Normal dependencies'],
  ['build', 'Build dependencies'],
  ['dev', 'Dev dependencies'],
];

function dependencyList(deps: readonly DependencyRow[]): Html {
  return html`<ul>${deps.map((d) => {
    const features = JSON.parse(d.features) as string[];
    const name = d.registry === null ? html`<a href="/crates/${seg(d.name)}">${d.name}</a>` : html`<span>${d.name}</span>`;
    return html`<li>${name} <code>${d.req}</code>${d.explicit_name ? html` as <code>${d.explicit_name}</code>` : ''}${
      d.optional ? html` <span class="badge">optional</span>` : ''
    }${d.target ? html` <span class="muted">for ${d.target}</span>` : ''}${
      features.length > 0 ? html` <span class="muted">features: ${features.join(', ')}</span>` : ''
    }${d.default_features ? '' : html` <span class="muted">(no default features)</span>`}${d.registry ? html` <span class="muted">from ${d.registry}</span>` : ''}</li>`;
  })}</ul>`;
}

function dependencies(page: CratePage): Html {
  const kinds = KINDS.filter(([kind]) => page.dependencies[kind].length > 0);
  if (kinds.length === 0) return html`<h2>Dependencies</h2><p class="muted">None.</p>`;
  return html`<h2>Dependencies</h2>${kinds.map(([kind, label]) => html`<h3>${label}</h3>${dependencyList(page.dependencies[kind])}`)}`;
}

function features(page: CratePage): Html | '' {
  const entries = Object.entries(page.features);
  if (entries.length === 0) return '';
  return html`<h2>Features</h2><ul>${entries.map(([name, enables]) => html`<li><code>${name}</code>${enables.length > 0 ? html` enables <code>${enables.join(', ')}</code>` : ''}</li>`)}</ul>`;
}

function versionPages(page: CratePage): Html | '' {
  const { page: at, pages, total } = page.versionsPage;
  if (pages === 1) return '';
  const base = page.isDefault ? `/crates/${seg(page.crate.name)}` : `/crates/${seg(page.crate.name)}/${seg(page.version.num)}`;
  return html`<nav class="pagination" aria-label="Pages of versions">
${at > 1 ? html`<a href="${base}?page=${at - 1}" rel="prev">Higher versions</a>` : ''}
<span>Page ${at} of ${pages} (${count(total)} versions)</span>
${at < pages ? html`<a href="${base}?page=${at + 1}" rel="next">Lower versions</a>` : ''}
</nav>`;
}

function versions(page: CratePage): Html {
  return html`<h2>Versions</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">Version</th><th scope="col">Published</th><th scope="col">By</th><th scope="col">Downloads</th><th scope="col">State</th></tr></thead>
<tbody>${page.versions.map(
    (v) => html`<tr><td><a href="/crates/${seg(page.crate.name)}/${seg(v.num)}"${v.id === page.version.id ? html` aria-current="page"` : ''}>${v.num}</a></td>
<td>${date(v.created_at)}</td><td>${v.publishedBy ? html`<a href="/users/${seg(v.publishedBy)}">${v.publishedBy}</a>` : ''}</td>
<td>${count(Number(v.downloads))}</td><td>${v.yanked ? html`<span class="badge yanked">yanked</span>` : ''}</td></tr>`,
  )}</tbody>
</table></div>
${versionPages(page)}`;
}

function sidebar(page: CratePage, registryName: string, viewerLogin: string | null): Html {
  const { crate, version } = page;
  const links: Array<[string, string | null]> = [
    ['Repository', crate.repository],
    ['Documentation', crate.documentation],
    ['Homepage', crate.homepage],
  ];
  const shown = links.filter(([, url]) => url);
  return html`<aside aria-label="About ${crate.name}">
<h2>Install</h2>
<p>Run in your project:</p>
<pre><code>cargo add ${crate.name}${page.isDefault ? '' : `@${version.num}`} --registry ${registryName}</code></pre>
<p>Or add to Cargo.toml:</p>
<pre><code>${crate.name} = { version = "${version.num}", registry = "${registryName}" }</code></pre>
<h2>Details</h2>
<dl>
<dt>Published</dt><dd>${date(version.created_at)}${version.publishedBy ? html` by <a href="/users/${seg(version.publishedBy)}">${version.publishedBy}</a>` : ''}${provenance(version.trustpub_data)}</dd>
${version.license ? html`<dt>License</dt><dd>${version.license}</dd>` : ''}
${version.rust_version ? html`<dt>Rust version</dt><dd>${version.rust_version}</dd>` : ''}
<dt>Size</dt><dd>${count(Math.ceil(version.crate_size / 1024))} KiB</dd>
<dt>Downloads</dt><dd>${count(Number(crate.downloads))} in all, ${count(Number(version.downloads))} of ${version.num}</dd>
${shown.map(([label, url]) => html`<dt>${label}</dt><dd>${externalLink(url, url ?? '')}</dd>`)}
</dl>
<h2>Owners</h2>
<ul>${page.owners.map((o) => html`<li><a href="/users/${seg(o.login)}">${o.login}</a>${o.name ? html` (${o.name})` : ''}</li>`)}${page.teams.map((t) => html`<li>team:${t.name}${t.description ? html` (${t.description})` : ''}</li>`)}</ul>
${page.owners.some((o) => o.login === viewerLogin) ? html`<p><a href="/crates/${seg(crate.name)}/settings/trusted-publishing">Trusted publishing settings</a> · <a href="/crates/${seg(crate.name)}/settings/delete">Delete this crate</a></p>` : ''}
</aside>`;
}

/** A trusted publish: the repository, commit, workflow and run, linked to the run. */
function provenance(json: string | null): Html | string {
  if (!json) return '';
  const data = JSON.parse(json) as TrustpubData;
  const text = describeProvenance(data);
  return html`<br><span class="provenance">${externalLink(data.run_url, text)}</span>`;
}

function yankedNotice(message: string | null): Html {
  return html`<div class="notice yanked-notice" role="note"><p><strong>This version was yanked.</strong> cargo no longer picks it for new dependencies; projects whose Cargo.lock already names it keep building.</p>${
    message ? html`<p>Reason given by its owner: ${message}</p>` : ''
  }</div>`;
}

export function crateView(shell: Omit<Shell, 'title'>, page: CratePage, readme: string | null, registryName: string): Html {
  const { crate, version } = page;
  return layout(
    { ...shell, title: `${crate.name} ${version.num}` },
    html`<h1>${crate.name} <span class="badge">${version.num}</span>${version.yanked ? html` <span class="badge yanked">yanked</span>` : ''}</h1>
${version.yanked ? yankedNotice(version.yank_message) : ''}
${page.description ? html`<p class="description">${page.description}</p>` : ''}
${page.keywords.length > 0 ? html`<p>Keywords: ${page.keywords.map((k, i) => html`${i > 0 ? ', ' : ''}<a href="/search?q=${encodeURIComponent(k)}">${k}</a>`)}</p>` : ''}
${page.categories.length > 0 ? html`<p>Categories: ${page.categories.join(', ')}</p>` : ''}
${page.alsoUpstream ? html`<p class="notice">A crate named ${crate.name} also exists on the mirrored public registry: depend on this one with <code>registry = "${registryName}"</code>.</p>` : ''}
${page.isDefault ? '' : html`<p class="notice">This is ${crate.name} ${version.num}, with its own README and details; the crate's default version is <a href="/crates/${seg(crate.name)}">${crate.default_version ?? crate.max_version}</a>.</p>`}
<div class="crate-layout">
<div>
<h2>Readme</h2>
${readme ? html`<div class="readme">${trusted(readme)}</div>` : html`<p class="muted">This version has no README.</p>`}
${versions(page)}
${dependencies(page)}
${features(page)}
</div>
${sidebar(page, registryName, shell.viewer?.actor.login ?? null)}
</div>`,
  );
}
