import type { DeletedCrateRow } from '../../../db/repositories/deletion.repository.js';
import type { CrateLimits } from '../../../services/crate-limits.service.js';
import { formatBytes } from '../../../core/publish-frame.js';
import { count, date, html, type Html, seg } from '../html.js';
import { csrfField, errorBox, notice, sudoField } from '../layout.js';
import { type AdminShell, adminPage } from './admin.view.js';
import { confirmNameField, messageField } from './crate-delete.view.js';

export interface AdminCratePage {
  csrf: string;
  /** The crate asked for, with its limits and its newest versions; null: none asked for or found. */
  crate: { name: string; limits: CrateLimits; overrides: { maxFeatures: number | null; maxUploadSize: number | null }; versions: readonly string[]; numVersions: number } | null;
  query: string;
  deleted: readonly DeletedCrateRow[];
  notice?: unknown;
  error?: string | null;
}

const NOTICES = {
  limits: "The crate's limits were saved.",
  deleted: 'The crate was deleted.',
  'version-deleted': 'The version was deleted.',
} as const;

/** What the operator reads next to each limit: the value in force and where it comes from. */
function inForce(value: string, overridden: boolean): Html {
  return html`<span class="hint">in force: ${value} (${overridden ? 'set for this crate' : "the registry's setting"})</span>`;
}

function crateSection(csrf: string, shell: AdminShell, c: NonNullable<AdminCratePage['crate']>): Html {
  const base = `/admin/crates/${seg(c.name)}`;
  return html`<h2><a href="/crates/${seg(c.name)}">${c.name}</a></h2>
<h3>Publish limits</h3>
<form method="post" action="${base}/limits" class="panel">${csrfField(csrf)}
<div class="field"><label for="max-features">Max features (empty: the registry's setting)</label><input id="max-features" name="max_features" inputmode="numeric" value="${c.overrides.maxFeatures === null ? '' : String(c.overrides.maxFeatures)}"> ${inForce(String(c.limits.maxFeatures), c.limits.overridden.maxFeatures)}</div>
<div class="field"><label for="max-upload-size">Max upload size, e.g. 50MB (empty: the registry's setting)</label><input id="max-upload-size" name="max_upload_size" value="${c.overrides.maxUploadSize === null ? '' : String(c.overrides.maxUploadSize)}"> ${inForce(formatBytes(c.limits.maxUploadSize), c.limits.overridden.maxUploadSize)}</div>
${sudoField(shell)}
<button type="submit">Save the limits</button>
</form>
<h3>Delete</h3>
<p>${count(c.numVersions)} version(s)${c.versions.length < c.numVersions ? html`, the newest ${count(c.versions.length)}:` : ':'} ${c.versions.join(', ')}</p>
<form method="post" action="${base}/delete" class="panel">${csrfField(csrf)}
<div class="field"><label for="delete-version">Only this version (empty: the whole crate; its last version deletes the crate)</label><input id="delete-version" name="version" maxlength="100" autocomplete="off"></div>
${confirmNameField(c.name)}
${messageField()}
${sudoField(shell)}
<button type="submit" class="danger">Delete</button>
</form>`;
}

/** Administration of one crate (limits, deletion) and the recent deletions. */
export function adminCratesView(shell: AdminShell, p: AdminCratePage): Html {
  return adminPage(
    shell,
    '/admin/crates',
    'Crates',
    html`${notice(NOTICES, p.notice)}
${errorBox(p.error)}
<form method="get" action="/admin/crates" class="panel"><div class="field"><label for="crate-name">Crate</label><input id="crate-name" name="name" value="${p.query}" required maxlength="64"></div><button type="submit">Show</button></form>
${p.crate ? crateSection(p.csrf, shell, p.crate) : ''}
<h2>Recently deleted</h2>
${
  p.deleted.length === 0
    ? html`<p class="muted">None.</p>`
    : html`<table><thead><tr><th scope="col">Crate</th><th scope="col">Deleted</th><th scope="col">Name free again</th><th scope="col">Why</th></tr></thead><tbody>
${p.deleted.map((d) => html`<tr><td>${d.name}</td><td>${date(d.deleted_at)}</td><td>${date(d.available_at)}</td><td>${d.message ?? ''}</td></tr>`)}
</tbody></table>`
}`,
  );
}
