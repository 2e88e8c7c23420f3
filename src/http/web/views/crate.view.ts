import { describeProvenance, type TrustpubData } from '../../../core/trustpub-claims.js';
import type { DependencyRow } from '../../../db/repositories/crate.repository.js';
import type { CratePage } from '../../../services/browse.service.js';
import type { CrateExtras } from '../crate-extras.js';
import { ago, count, externalLink, html, type Html, plural, seg, trusted } from '../html.js';
import { layout, type Shell } from '../layout.js';
import { copyLine, nowOf } from './browse.view.js';
import { downloadsGraph } from './downloads-graph.view.js';

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
  const heading = html`<h2 id="dependencies">Dependencies of ${page.version.num}</h2>`;
  if (kinds.length === 0) return html`${heading}<p class="muted">None.</p>`;
  return html`${heading}${kinds.map(([kind, label]) => html`<h3>${label}</h3>${dependencyList(page.dependencies[kind])}`)}`;
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

function versions(page: CratePage, now: number): Html {
  return html`<h2 id="versions">Versions</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">Version</th><th scope="col">Published</th><th scope="col">By</th><th scope="col">Downloads</th><th scope="col">State</th></tr></thead>
<tbody>${page.versions.map(
    (v) => html`<tr${v.id === page.version.id ? html` class="current"` : ''}><td><a href="/crates/${seg(page.crate.name)}/${seg(v.num)}"${v.id === page.version.id ? html` aria-current="page"` : ''}>${v.num}</a>${
      v.id === page.version.id ? html` <span class="muted">(shown)</span>` : ''
    }</td>
<td>${ago(v.created_at, now)}</td><td>${v.publishedBy ? html`<a href="/users/${seg(v.publishedBy)}">${v.publishedBy}</a>` : ''}</td>
<td>${count(Number(v.downloads))}</td><td>${v.yanked ? html`<span class="badge yanked">yanked</span>` : ''}</td></tr>`,
  )}</tbody>
</table></div>
${versionPages(page)}`;
}

function sidebar(page: CratePage, registryName: string, viewerLogin: string | null, now: number): Html {
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
${copyLine('cargo-add', `cargo add ${crate.name}${page.isDefault ? '' : `@${version.num}`} --registry ${registryName}`, 'Copy the cargo add command')}
<p>Or add to Cargo.toml:</p>
${copyLine('cargo-toml', `${crate.name} = { version = "${version.num}", registry = "${registryName}" }`, 'Copy the Cargo.toml line')}
<h2>Details</h2>
<dl>
<dt>Published</dt><dd>${ago(version.created_at, now)}${version.publishedBy ? html` by <a href="/users/${seg(version.publishedBy)}">${version.publishedBy}</a>` : ''}${provenance(version.trustpub_data)}</dd>
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

function dependents(page: CratePage, extras: CrateExtras): Html {
  const { rows, page: at, pages, total } = extras.dependents;
  const base = page.isDefault ? `/crates/${seg(page.crate.name)}` : `/crates/${seg(page.crate.name)}/${seg(page.version.num)}`;
  return html`<h2 id="dependents">Dependents</h2>
<p>${plural(total, 'crate')} of this registry ${total === 1 ? 'depends' : 'depend'} on ${page.crate.name} in ${total === 1 ? 'its' : 'their'} latest version.</p>
${rows.length > 0
  ? html`<ul>${rows.map(
      (d) => html`<li><a href="/crates/${seg(d.name)}">${d.name}</a> ${d.num} <span class="muted">needs <code>${d.req}</code>${d.kind !== 'normal' ? ` (${d.kind})` : ''}${d.optional ? ' (optional)' : ''}</span></li>`,
    )}</ul>`
  : ''}
${pages > 1
  ? html`<nav class="pagination" aria-label="Pages of dependents">
${at > 1 ? html`<a href="${base}?dependents_page=${at - 1}#dependents" rel="prev">Previous</a>` : ''}
<span>Page ${at} of ${pages}</span>
${at < pages ? html`<a href="${base}?dependents_page=${at + 1}#dependents" rel="next">Next</a>` : ''}
</nav>`
  : ''}`;
}

/** In-page links to the sections: the tabs of the crate page, working without a script. */
const SECTIONS: ReadonlyArray<[string, string]> = [
  ['readme', 'Readme'],
  ['versions', 'Versions'],
  ['dependencies', 'Dependencies'],
  ['dependents', 'Dependents'],
  ['downloads', 'Downloads'],
];

function tagLinks(label: string, param: 'keyword' | 'category', values: readonly string[]): Html | '' {
  if (values.length === 0) return '';
  return html`<p>${label}: ${values.map((v, i) => html`${i > 0 ? ', ' : ''}<a href="/crates?${param}=${encodeURIComponent(v)}">${v}</a>`)}</p>`;
}

export function crateView(shell: Omit<Shell, 'title'>, page: CratePage, readme: string | null, registryName: string, extras: CrateExtras): Html {
  const { crate, version } = page;
  const now = nowOf(shell);
  return layout(
    { ...shell, title: `${crate.name} ${version.num}` },
    html`<h1>${crate.name} <span class="badge">${version.num}</span>${version.yanked ? html` <span class="badge yanked">yanked</span>` : ''}</h1>
${version.yanked ? yankedNotice(version.yank_message) : ''}
${page.description ? html`<p class="description">${page.description}</p>` : ''}
${tagLinks('Keywords', 'keyword', page.keywords)}
${tagLinks('Categories', 'category', page.categories)}
${page.alsoUpstream ? html`<p class="notice">A crate named ${crate.name} also exists on the mirrored public registry: depend on this one with <code>registry = "${registryName}"</code>.</p>` : ''}
${page.isDefault ? '' : html`<p class="notice">This is ${crate.name} ${version.num}, with its own README and details; the crate's default version is <a href="/crates/${seg(crate.name)}">${crate.default_version ?? crate.max_version}</a>.</p>`}
<nav class="sections" aria-label="Sections">${SECTIONS.map(([id, label]) => html`<a href="#${id}">${label}</a>`)}</nav>
<div class="crate-layout">
${sidebar(page, registryName, shell.viewer?.actor.login ?? null, now)}
<div class="crate-main">
<h2 id="readme">Readme</h2>
${readme ? html`<div class="readme">${trusted(readme)}</div>` : html`<p class="muted">This version has no README.</p>`}
${versions(page, now)}
${dependencies(page)}
${features(page)}
${dependents(page, extras)}
<h2 id="downloads">Downloads</h2>
${downloadsGraph(extras.downloads, extras.days)}
</div>
</div>`,
  );
}
