import type { MirroredCratePage, MirroredListItem } from '../../../services/mirror/mirror-browse.service.js';
import { count, date, externalLink, html, type Html, seg } from '../html.js';
import { layout, type Shell } from '../layout.js';

type PageShell = Omit<Shell, 'title'>;

/** Search of the mirrored public crates, apart from this registry's own. */
export function mirroredSearchView(shell: PageShell, query: string, items: readonly MirroredListItem[]): Html {
  return layout(
    { ...shell, title: query ? `Mirrored crates: ${query}` : 'Mirrored crates' },
    html`<h1>Mirrored crates</h1>
<p>Public crates this registry mirrors from its upstream and holds in its cache; they are not this registry's own crates.</p>
<form role="search" method="get" action="/mirrored" class="inline panel">
<div class="field"><label for="mirrored-search">Search mirrored crates</label><input type="search" id="mirrored-search" name="q" maxlength="200" value="${query}"></div>
<button type="submit">Search</button>
</form>
${items.length === 0
  ? html`<p class="muted">No mirrored crate matches.</p>`
  : html`<ul class="crates">${items.map(
      (c) => html`<li><a href="/mirrored/${seg(c.name)}"><strong>${c.name}</strong></a> ${c.latest ? html`<span class="badge">${c.latest}</span>` : ''}
<div class="meta">${count(c.versions)} versions · mirrored, last confirmed ${date(c.checkedAt)}</div></li>`,
    )}</ul>`}`,
  );
}

export function mirroredCrateView(shell: PageShell, page: MirroredCratePage, registryName: string): Html {
  return layout(
    { ...shell, title: `${page.name} (mirrored)` },
    html`<h1>${page.name} ${page.latest ? html`<span class="badge">${page.latest}</span>` : ''} <span class="badge">mirrored</span></h1>
<p class="notice">A public crate mirrored from ${page.upstream ?? 'an upstream registry (imported into this offline copy)'}, not one of the ${registryName} registry's own crates. Its index file was last confirmed ${date(page.checkedAt)}.${page.vanished !== null ? ` The upstream no longer serves it (it answered ${page.vanished}); the cached copy is still served.` : ''}</p>
${page.latest ? html`<p>Documentation: ${externalLink(`https://docs.rs/${seg(page.name)}/${seg(page.latest)}`, `docs.rs/${page.name}/${page.latest}`)}</p>` : ''}
<h2>Versions</h2>
<div class="table-wrap"><table><thead><tr><th scope="col">Version</th><th scope="col">Cached file</th><th scope="col">Downloads here</th><th scope="col"></th></tr></thead><tbody>
${page.versions.map(
  (v) => html`<tr><td>${v.vers}</td><td>${v.cached ? 'yes' : 'no'}</td><td>${count(v.downloads)}</td><td>${v.yanked ? html`<span class="badge yanked">yanked</span>` : ''}</td></tr>`,
)}
</tbody></table></div>
<h2>Dependencies of ${page.latest ?? 'the latest version'}</h2>
${page.dependencies.length === 0
  ? html`<p class="muted">None.</p>`
  : html`<ul>${page.dependencies.map((d) => html`<li><a href="/mirrored/${seg(d.name)}">${d.name}</a> ${d.req}${d.kind === 'build' ? ' (build)' : ''}${d.optional ? ' (optional)' : ''}</li>`)}</ul>`}`,
  );
}
