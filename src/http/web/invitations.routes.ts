import type { FastifyInstance } from 'fastify';
import { badRequest, unauthorized } from '../../core/errors.js';
import { answerInvitation, pendingInvitationsOf } from '../../services/owners/invitation.service.js';
import { checkSessionForm, formOf, viewerOf } from './request.js';
import { redirect, sendPage } from './respond.js';
import { invitationsView } from './views/invitations.view.js';
import type { WebDeps } from './web.plugin.js';

/** /me/invitations: the signed-in user's pending owner invitations, accepted or declined by form. */
export async function invitationWebRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { ctx } = deps.runtime;

  app.get('/me/invitations', async (request, reply) => {
    const viewer = await viewerOf(ctx, request);
    if (!viewer) return redirect(reply, '/login?next=%2Fme%2Finvitations');
    const page = { csrf: viewer.csrf, invitations: await pendingInvitationsOf(ctx, viewer.actor), notice: (request.query as { notice?: unknown }).notice };
    return sendPage(reply, 200, invitationsView({ viewer, allowSignup: ctx.config.allowSignup }, page), { noStore: true });
  });

  for (const verb of ['accept', 'decline'] as const) {
    app.post<{ Params: { crateId: string } }>(`/me/invitations/:crateId/${verb}`, async (request, reply) => {
      const viewer = await viewerOf(ctx, request);
      if (!viewer) throw unauthorized('your session has ended: sign in again');
      checkSessionForm(viewer, formOf(request));
      if (!/^\d{1,15}$/.test(request.params.crateId)) throw badRequest('a crate id is a positive integer');
      await answerInvitation(ctx, viewer.actor, Number(request.params.crateId), verb === 'accept');
      return redirect(reply, `/me/invitations?notice=${verb === 'accept' ? 'accepted' : 'declined'}`);
    });
  }
}
