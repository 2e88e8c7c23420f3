import { html, type Html, seg } from '../html.js';
import { csrfField, errorBox, layout, type Shell, sudoField } from '../layout.js';

export interface CrateDeletePage {
  crate: string;
  csrf: string;
  /** Why the owner may not delete it now; null when they may. */
  refusal: string | null;
  error?: string | null;
}

/**
 * The typed confirmation of a deletion: the crate's name, as on crates.io, so a stray click on a
 * remembered page can delete nothing. Shared by the owner's page and the admin's.
 */
export function confirmNameField(crate: string, id = 'confirm-name'): Html {
  return html`<div class="field"><label for="${id}">Type <strong>${crate}</strong> to confirm</label><input id="${id}" name="confirm_name" required autocomplete="off" spellcheck="false" maxlength="64"></div>`;
}

export const messageField = (id = 'delete-message'): Html =>
  html`<div class="field"><label for="${id}">Why (optional, kept in the audit log)</label><input id="${id}" name="message" maxlength="1000"></div>`;

/** An owner's page to delete their crate, with the registry's rule and, when it refuses, why. */
export function crateDeleteView(shell: Omit<Shell, 'title'>, page: CrateDeletePage): Html {
  return layout(
    { ...shell, title: `Delete ${page.crate}` },
    html`<h1>Delete <a href="/crates/${seg(page.crate)}">${page.crate}</a></h1>
${errorBox(page.error)}
<p>Deleting removes every version of the crate, its owners and settings, and its files. Builds that need it fail. Its name stays reserved for a while, then anyone may publish it again.</p>
${
  page.refusal
    ? html`<p class="error" role="alert">You cannot delete this crate: ${page.refusal}. An administrator of the registry can.</p>`
    : html`<form method="post" action="/crates/${seg(page.crate)}/settings/delete" class="panel">${csrfField(page.csrf)}
${confirmNameField(page.crate)}
${messageField()}
${sudoField(shell)}
<button type="submit" class="danger">Delete this crate</button>
</form>`
}`,
  );
}

/** After a deletion. */
export function crateDeletedView(shell: Omit<Shell, 'title'>, p: { crate: string; versions: number }): Html {
  return layout(
    { ...shell, title: `${p.crate} was deleted` },
    html`<h1>${p.crate} was deleted</h1>
<p class="notice" role="status">The crate and its ${p.versions} version(s) are gone.</p>
<p><a href="/">Home</a></p>`,
  );
}
