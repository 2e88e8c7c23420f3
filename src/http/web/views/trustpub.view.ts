import type { ConfigView } from '../../../services/trustpub/trustpub-config.service.js';
import { date, html, type Html, seg } from '../html.js';
import { csrfField, layout, type Shell } from '../layout.js';

export interface TrustpubPage {
  crate: string;
  csrf: string;
  trustpubOnly: boolean;
  github: readonly ConfigView[];
  gitlab: readonly ConfigView[];
  /** The trusted issuers of each kind; with several, each publisher names its own. */
  issuers: { github: readonly string[]; gitlab: readonly string[] };
  notice?: string | null;
}

const NOTICES: Record<string, string> = {
  added: 'The trusted publisher was added. Its first exchange records the owner id it must keep.',
  removed: 'The trusted publisher was removed.',
  'only-on': 'Only trusted publishing may publish new versions now.',
  'only-off': "Owners' API tokens may publish new versions again.",
};

function table(page: TrustpubPage, kind: 'github' | 'gitlab', rows: readonly ConfigView[]): Html {
  if (rows.length === 0) return html`<p class="muted">None.</p>`;
  const [owner, repo, workflow] = kind === 'github' ? ['repository_owner', 'repository_name', 'workflow_filename'] : ['namespace', 'project', 'workflow_filepath'];
  const base = `/crates/${seg(page.crate)}/settings/trusted-publishing`;
  const several = page.issuers[kind].length > 1;
  return html`<table><thead><tr>${several ? html`<th scope="col">Issuer</th>` : ''}<th scope="col">Repository</th><th scope="col">Workflow</th><th scope="col">Environment</th><th scope="col">Added</th><th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>
${rows.map(
  (r) => html`<tr>${several ? html`<td>${String(r.issuer ?? '')}</td>` : ''}<td>${String(r[owner])}/${String(r[repo])}</td><td>${String(r[workflow])}</td><td>${r.environment ?? html`<span class="muted">any</span>`}</td><td>${date(String(r.created_at))}</td>
<td><form method="post" action="${base}/${kind}/${String(r.id)}/delete">${csrfField(page.csrf)}<button type="submit" class="secondary">Remove</button></form></td></tr>`,
)}
</tbody></table>`;
}

function addForm(page: TrustpubPage, kind: 'github' | 'gitlab'): Html {
  const fields =
    kind === 'github'
      ? [['repository_owner', 'Owner'], ['repository_name', 'Repository'], ['workflow_filename', 'Workflow file (release.yml)']]
      : [['namespace', 'Namespace (group/subgroup)'], ['project', 'Project'], ['workflow_filepath', 'CI file path (.gitlab-ci.yml)']];
  const issuers = page.issuers[kind];
  const issuerField =
    issuers.length > 1
      ? html`<div class="field"><label for="${kind}-issuer">Issuer</label><select id="${kind}-issuer" name="issuer" required>${issuers.map((url) => html`<option value="${url}">${url}</option>`)}</select></div>`
      : issuers.length === 1
        ? html`<p class="muted">Issuer: ${issuers[0]!}</p>`
        : html`<p class="muted">This registry trusts no ${kind === 'github' ? 'GitHub' : 'GitLab'} issuer; an administrator adds one to <code>trusted_publishing.issuers</code>.</p>`;
  return html`<form method="post" action="/crates/${seg(page.crate)}/settings/trusted-publishing/${kind}" class="panel">${csrfField(page.csrf)}
${issuerField}
${fields.map(([name, label]) => html`<div class="field"><label for="${kind}-${name!}">${label!}</label><input id="${kind}-${name!}" name="${name!}" required maxlength="255"></div>`)}
<div class="field"><label for="${kind}-environment">Environment (optional)</label><input id="${kind}-environment" name="environment" maxlength="255"></div>
<p><button type="submit">Add the ${kind === 'github' ? 'GitHub' : 'GitLab'} publisher</button></p>
</form>`;
}

/** A crate's trusted publishers, for its owners. */
export function trustpubView(shell: Omit<Shell, 'title'>, page: TrustpubPage): Html {
  const notice = page.notice ? NOTICES[page.notice] : undefined;
  return layout(
    { ...shell, title: `Trusted publishing · ${page.crate}` },
    html`<h1>Trusted publishing of <a href="/crates/${seg(page.crate)}">${page.crate}</a></h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<p>A CI workflow named here can exchange its OIDC token for a token that publishes new versions of this crate for 30 minutes, with no stored secret.</p>
<h2>GitHub Actions</h2>
${table(page, 'github', page.github)}
${addForm(page, 'github')}
<h2>GitLab CI</h2>
${table(page, 'gitlab', page.gitlab)}
${addForm(page, 'gitlab')}
<h2>Trusted publishing only</h2>
<form method="post" action="/crates/${seg(page.crate)}/settings/trusted-publishing/only" class="panel">${csrfField(page.csrf)}
<input type="hidden" name="value" value="${page.trustpubOnly ? 'off' : 'on'}">
<p>${page.trustpubOnly ? 'On: API tokens cannot publish new versions.' : "Off: owners' API tokens can publish new versions too."}</p>
<p><button type="submit" class="secondary">${page.trustpubOnly ? 'Allow API tokens again' : 'Accept only trusted publishing'}</button></p>
</form>`,
  );
}
