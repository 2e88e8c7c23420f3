import type { pendingInvitationsOf } from '../../../services/owners/invitation.service.js';
import { date, html, type Html, seg } from '../html.js';
import { csrfField, layout, notice, type Shell } from '../layout.js';

const NOTICES = {
  accepted: 'You are now an owner of the crate.',
  declined: 'The invitation was declined.',
} as const;

export interface InvitationsPage {
  csrf: string;
  invitations: Awaited<ReturnType<typeof pendingInvitationsOf>>;
  notice?: unknown;
}

/** The signed-in user's pending owner invitations, each with Accept and Decline. */
export function invitationsView(shell: Omit<Shell, 'title'>, page: InvitationsPage): Html {
  const answer = (crateId: number, crate: string, verb: 'accept' | 'decline') =>
    html`<form method="post" action="/me/invitations/${String(crateId)}/${verb}">${csrfField(page.csrf)}<button type="submit" class="${verb === 'accept' ? '' : 'secondary'}" aria-label="${verb === 'accept' ? 'Accept' : 'Decline'} the invitation to own ${crate}">${verb === 'accept' ? 'Accept' : 'Decline'}</button></form>`;
  return layout(
    { ...shell, title: 'Owner invitations' },
    html`<h1>Owner invitations</h1>
${notice(NOTICES, page.notice)}
<p>An owner of a crate invited you to own it too. Accepting lets you publish, yank and manage its owners; an invitation can be accepted for 30 days.</p>
${page.invitations.length === 0
  ? html`<p class="muted">You have no pending invitations.</p>`
  : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Crate</th><th scope="col">Invited by</th><th scope="col">Sent</th><th scope="col">Expires</th><th scope="col"><span class="muted">Answer</span></th></tr></thead>
<tbody>${page.invitations.map(
      (i) => html`<tr><td><a href="/crates/${seg(i.crate_name)}">${i.crate_name}</a></td><td>${i.invited_by_username ?? html`<span class="muted">unknown</span>`}</td>
<td>${date(i.created_at)}</td><td>${date(i.expires_at)}</td><td>${answer(i.crate_id, i.crate_name, 'accept')} ${answer(i.crate_id, i.crate_name, 'decline')}</td></tr>`,
    )}</tbody>
</table></div>`}
<p><a href="/me">Back to your tokens</a></p>`,
  );
}
