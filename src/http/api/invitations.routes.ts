import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../../core/errors.js';
import type { Actor } from '../../services/actor.js';
import type { ServiceContext } from '../../services/context.js';
import {
  acceptInvitationByToken,
  answerInvitation,
  listOwnerInvitations,
  myOwnerInvitations,
  parseInvitationQuery,
} from '../../services/owners/invitation.service.js';
import type { Runtime } from '../../services/runtime.js';
import { requireActor } from '../auth.js';
import { requireSession } from '../session.js';
import * as R from './schemas/responses.js';

/** An API token, or a browser session (whose writes carry the CSRF header). */
function tokenOrSession(ctx: ServiceContext, request: FastifyRequest, write: boolean): Promise<Actor> {
  return request.headers.authorization ? requireActor(ctx, request) : requireSession(ctx, request, { write });
}

/** crates.io's `{"crate_owner_invite":{"crate_id":N,"accepted":bool}}`. */
function answerOf(body: unknown, crateIdParam: string): { crateId: number; accepted: boolean } {
  const invite = (body as { crate_owner_invite?: unknown } | null)?.crate_owner_invite as { crate_id?: unknown; accepted?: unknown } | undefined;
  if (!invite || typeof invite !== 'object' || typeof invite.accepted !== 'boolean') {
    throw badRequest('expected a body like {"crate_owner_invite":{"crate_id":1,"accepted":true}}');
  }
  if (!/^\d{1,15}$/.test(crateIdParam)) throw badRequest('a crate id is a positive integer');
  const crateId = Number(crateIdParam);
  if (invite.crate_id !== undefined && invite.crate_id !== crateId) throw badRequest('`crate_owner_invite.crate_id` differs from the crate id in the URL');
  return { crateId, accepted: invite.accepted };
}

/** Owner invitations: the invitee's lists and answers, and a crate's pending list for its owners. */
export async function invitationRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  const { ctx } = runtime;

  app.get('/api/v1/me/crate_owner_invitations', { schema: R.reply(R.myInvitationsAnswer) }, async (request, reply) => {
    const actor = await tokenOrSession(ctx, request, false);
    reply.header('cache-control', 'no-store');
    return myOwnerInvitations(ctx, actor);
  });

  app.get('/api/private/crate_owner_invitations', { schema: R.reply(R.invitationsAnswer) }, async (request, reply) => {
    const actor = await tokenOrSession(ctx, request, false);
    reply.header('cache-control', 'no-store');
    return listOwnerInvitations(ctx, actor, parseInvitationQuery(request.query as Record<string, unknown>));
  });

  app.put<{ Params: { crate_id: string } }>('/api/v1/me/crate_owner_invitations/:crate_id', { schema: R.reply(R.invitationAnsweredAnswer) }, async (request) => {
    const actor = await tokenOrSession(ctx, request, true);
    const { crateId, accepted } = answerOf(request.body, request.params.crate_id);
    return { crate_owner_invitation: await answerInvitation(ctx, actor, crateId, accepted) };
  });

  // The link in an invitation: the token alone proves who may accept.
  app.put<{ Params: { token: string } }>('/api/v1/me/crate_owner_invitations/accept/:token', { schema: R.reply(R.invitationAnsweredAnswer) }, async (request) => {
    return { crate_owner_invitation: await acceptInvitationByToken(ctx, request.params.token) };
  });
}
