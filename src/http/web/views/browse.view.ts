import type { CrateListItem, HomeData, UserPage } from '../../../services/browse.service.js';
import type { SearchQuery } from '../../../services/search-query.js';
import { count, date, html, type Html, seg } from '../html.js';
import { layout, type Shell } from '../layout.js';

function crateList(items: readonly CrateListItem[], empty: string): Html {
  if (items.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<ul class="crates">${items.map(
    (c) => html`<li><a href="/crates/${seg(c.name)}"><strong>${c.name}</strong></a> ${c.version ? html`<span class="badge">${c.version}</span>` : ''}
<div>${c.description ?? ''}</div>
<div class="meta">${count(c.downloads)} downloads · updated ${date(c.updatedAt)}</div></li>`,
  )}</ul>`;
}

export function homeView(shell: Omit<Shell, 'title'>, data: HomeData, registryName: string): Html {
  return layout(
    { ...shell, title: 'Home', hideSearch: true },
    html`<h1>The ${registryName} crate registry</h1>
<form role="search" method="get" action="/search" class="inline panel">
<div class="field"><label for="home-search">Search crates</label><input type="search" id="home-search" name="q" maxlength="200"></div>
<button type="submit">Search</button>
</form>
<ul class="totals" aria-label="Totals">
<li><strong>${count(data.totals.crates)}</strong> crates</li>
<li><strong>${count(data.totals.versions)}</strong> versions</li>
<li><strong>${count(data.totals.downloads)}</strong> downloads</li>
</ul>
<div class="grid">
<section aria-labelledby="recent-heading"><h2 id="recent-heading">Recently published</h2>
${data.recent.length === 0
  ? html`<p class="muted">Nothing published yet.</p>`
  : html`<ul class="crates">${data.recent.map(
      (r) => html`<li><a href="/crates/${seg(r.name)}/${seg(r.version)}"><strong>${r.name}</strong> ${r.version}</a>
<div>${r.description ?? ''}</div><div class="meta">published ${date(r.publishedAt)}</div></li>`,
    )}</ul>`}
</section>
<section aria-labelledby="popular-heading"><h2 id="popular-heading">Most downloaded</h2>
${crateList(data.popular, 'Nothing downloaded yet.')}
</section>
</div>`,
  );
}

export interface SearchResult {
  crates: Array<{ name: string; description: string | null; downloads: number; max_version: string; default_version: string | null; updated_at: string }>;
  meta: { total: number };
}

const SORTS: ReadonlyArray<[SearchQuery['sort'], string]> = [
  ['relevance', 'Relevance'],
  ['downloads', 'Downloads'],
  ['recent-updates', 'Recently updated'],
];

function searchHref(q: SearchQuery, changes: Partial<SearchQuery>): string {
  const next = { ...q, ...changes };
  const params = new URLSearchParams({ q: next.q });
  if (next.sort !== 'relevance') params.set('sort', next.sort);
  if (next.page > 1) params.set('page', String(next.page));
  return `/search?${params.toString()}`;
}

export function searchView(shell: Omit<Shell, 'title'>, query: SearchQuery, result: SearchResult): Html {
  const pages = Math.max(1, Math.ceil(result.meta.total / query.perPage));
  const items: CrateListItem[] = result.crates.map((c) => ({
    name: c.name,
    description: c.description,
    downloads: c.downloads,
    // The version a crate page shows, as in every other list.
    version: c.default_version ?? c.max_version,
    updatedAt: c.updated_at,
  }));
  return layout(
    { ...shell, title: query.q ? `Search: ${query.q}` : 'All crates', query: query.q },
    html`<h1>${query.q ? html`Crates matching “${query.q}”` : 'All crates'}</h1>
<p>${count(result.meta.total)} ${result.meta.total === 1 ? 'crate' : 'crates'} found.</p>
<nav class="sort" aria-label="Sort results"><span>Sort by:</span>${SORTS.map(([sort, label]) =>
      sort === query.sort ? html`<strong aria-current="true">${label}</strong>` : html`<a href="${searchHref(query, { sort, page: 1 })}">${label}</a>`,
    )}</nav>
${crateList(items, 'No crate matches.')}
${pages > 1
  ? html`<nav class="pagination" aria-label="Pages">
${query.page > 1 ? html`<a href="${searchHref(query, { page: query.page - 1 })}" rel="prev">Previous</a>` : ''}
<span>Page ${query.page} of ${pages}</span>
${query.page < pages ? html`<a href="${searchHref(query, { page: query.page + 1 })}" rel="next">Next</a>` : ''}
</nav>`
  : ''}`,
  );
}

export function userView(shell: Omit<Shell, 'title'>, page: UserPage): Html {
  return layout(
    { ...shell, title: page.login },
    html`<h1>${page.login}${page.name ? html` <span class="muted">(${page.name})</span>` : ''}</h1>
<h2>Crates</h2>
${crateList(page.crates, `${page.login} owns no crates yet.`)}`,
  );
}
