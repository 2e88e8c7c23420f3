import type { CrateListItem, HomeData, UserPage } from '../../../services/browse.service.js';
import type { SearchQuery, SearchSort } from '../../../services/search-query.js';
import { ago, html, type Html, plural, seg } from '../html.js';
import { layout, type Shell } from '../layout.js';

export const nowOf = (shell: Pick<Shell, 'now'>): number => shell.now ?? Date.now();

export function crateList(items: readonly CrateListItem[], empty: string, now: number): Html {
  if (items.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<ul class="crates">${items.map(
    (c) => html`<li><a href="/crates/${seg(c.name)}"><strong>${c.name}</strong></a> ${c.version ? html`<span class="badge">${c.version}</span>` : ''}
<div>${c.description ?? ''}</div>
<div class="meta">${plural(c.downloads, 'download')} · updated ${ago(c.updatedAt, now)}</div></li>`,
  )}</ul>`;
}

/** A `<pre>` line with a copy button (shown by the script), which never wraps mid-flag. */
export function copyLine(id: string, text: string, label: string): Html {
  return html`<div class="copy-line"><pre><code id="${id}">${text}</code></pre><button type="button" class="secondary" data-copy="${id}" aria-label="${label}" hidden>Copy</button></div>`;
}

/** What a project needs in `.cargo/config.toml` to use this registry with a token. */
export function cargoConfigSnippet(registryName: string, publicUrl: string): string {
  return `[registries.${registryName}]
index = "sparse+${publicUrl}/index/"
credential-provider = "cargo:token"`;
}

export interface HomeOptions {
  registryName: string;
  publicUrl: string;
}

export function homeView(shell: Omit<Shell, 'title'>, data: HomeData, o: HomeOptions): Html {
  const now = nowOf(shell);
  return layout(
    { ...shell, title: 'Home', hideSearch: true },
    html`<h1>The ${o.registryName} crate registry</h1>
<form role="search" method="get" action="/search" class="inline panel">
<div class="field"><label for="home-search">Search crates</label><input type="search" id="home-search" name="q" maxlength="200" aria-keyshortcuts="s /"></div>
<button type="submit">Search</button>
<a href="/crates">Browse all crates</a>
</form>
<ul class="totals" aria-label="Totals">
<li>${countedNoun(data.totals.crates, 'crate')}</li>
<li>${countedNoun(data.totals.versions, 'version')}</li>
<li>${countedNoun(data.totals.downloads, 'download')}</li>
</ul>
<div class="grid">
<section aria-labelledby="recent-heading"><h2 id="recent-heading">Recently updated</h2>
${crateList(data.recent, 'Nothing published yet.', now)}
</section>
<section aria-labelledby="popular-heading"><h2 id="popular-heading">Most downloaded</h2>
${crateList(data.popular, 'Nothing downloaded yet.', now)}
</section>
</div>
<section aria-labelledby="setup-heading"><h2 id="setup-heading">Use this registry with cargo</h2>
<p>Add this to <code>.cargo/config.toml</code> (in your project, or <code>~/.cargo/config.toml</code> for all of them):</p>
${copyLine('cargo-config', cargoConfigSnippet(o.registryName, o.publicUrl), 'Copy the cargo configuration')}
<p>Then run <code>cargo login --registry ${o.registryName}</code> with a token from <a href="/me">your API tokens</a>, and depend on crates with <code>registry = "${o.registryName}"</code>.</p>
</section>`,
  );
}

/** "1 crate" with the number in bold, as the home page's totals show it. */
function countedNoun(n: number, noun: string): Html {
  const [number, ...rest] = plural(n, noun).split(' ');
  return html`<strong>${number}</strong> ${rest.join(' ')}`;
}

export interface SearchResult {
  crates: Array<{ name: string; description: string | null; downloads: number; max_version: string; default_version: string | null; updated_at: string }>;
  meta: { total: number };
}

const SORTS: ReadonlyArray<[SearchSort, string]> = [
  ['relevance', 'Relevance'],
  ['alpha', 'Name'],
  ['downloads', 'Downloads'],
  ['recent-downloads', 'Recent downloads'],
  ['recent-updates', 'Recently updated'],
  ['new', 'Newly added'],
];

/** What a listing is: a search, everything, or the crates of one keyword or category. */
export interface Listing {
  /** The page's own path with the filter in it (`/search?q=x`, `/crates?keyword=y`). */
  base: string;
  params: Array<[string, string]>;
  heading: Html | string;
  title: string;
  defaultSort: SearchSort;
}

function listingHref(listing: Listing, q: SearchQuery, changes: Partial<SearchQuery>): string {
  const next = { ...q, ...changes };
  const params = new URLSearchParams(listing.params.filter(([, v]) => v !== ''));
  if (next.sort !== listing.defaultSort) params.set('sort', next.sort);
  if (next.page > 1) params.set('page', String(next.page));
  const text = params.toString();
  return text ? `${listing.base}?${text}` : listing.base;
}

export function searchListing(q: SearchQuery): Listing {
  return {
    base: '/search',
    params: [['q', q.q]],
    heading: q.q ? html`Crates matching “${q.q}”` : 'All crates',
    title: q.q ? `Search: ${q.q}` : 'All crates',
    defaultSort: 'relevance',
  };
}

/** `/crates`: all crates by name, or one keyword's or category's. */
export function crateListing(keyword: string | null, category: string | null): Listing {
  if (keyword !== null) return { base: '/crates', params: [['keyword', keyword]], heading: html`Crates with the keyword “${keyword}”`, title: `Keyword: ${keyword}`, defaultSort: 'alpha' };
  if (category !== null) return { base: '/crates', params: [['category', category]], heading: html`Crates in the category “${category}”`, title: `Category: ${category}`, defaultSort: 'alpha' };
  return { base: '/crates', params: [], heading: 'All crates', title: 'All crates', defaultSort: 'alpha' };
}

export function searchView(shell: Omit<Shell, 'title'>, query: SearchQuery, result: SearchResult, listing: Listing = searchListing(query)): Html {
  const pages = Math.max(1, Math.ceil(result.meta.total / query.perPage));
  const items: CrateListItem[] = result.crates.map((c) => ({
    name: c.name,
    description: c.description,
    downloads: c.downloads,
    // The version a crate page shows, as in every other list.
    version: c.default_version ?? c.max_version,
    updatedAt: c.updated_at,
  }));
  // Relevance needs words to be relevant to; without them crates are listed by name.
  const sorts = query.q ? SORTS : SORTS.filter(([s]) => s !== 'relevance');
  const current = !query.q && query.sort === 'relevance' ? 'alpha' : query.sort;
  return layout(
    { ...shell, title: listing.title, query: query.q },
    html`<h1>${listing.heading}</h1>
<p>${plural(result.meta.total, 'crate')} found.</p>
<nav class="sort" aria-label="Sort results"><span>Sort by:</span>${sorts.map(([sort, label]) =>
      sort === current ? html`<strong aria-current="true">${label}</strong>` : html`<a href="${listingHref(listing, query, { sort, page: 1 })}">${label}</a>`,
    )}</nav>
${crateList(items, 'No crate matches.', nowOf(shell))}
${pages > 1
  ? html`<nav class="pagination" aria-label="Pages">
${query.page > 1 ? html`<a href="${listingHref(listing, query, { page: query.page - 1 })}" rel="prev">Previous</a>` : ''}
<span>Page ${query.page} of ${pages}</span>
${query.page < pages ? html`<a href="${listingHref(listing, query, { page: query.page + 1 })}" rel="next">Next</a>` : ''}
</nav>`
  : ''}`,
  );
}

export function userView(shell: Omit<Shell, 'title'>, page: UserPage): Html {
  return layout(
    { ...shell, title: page.login },
    html`<h1>${page.login}${page.name ? html` <span class="muted">(${page.name})</span>` : ''}</h1>
<h2>Crates</h2>
${crateList(page.crates, `${page.login} owns no crates yet.`, nowOf(shell))}`,
  );
}
