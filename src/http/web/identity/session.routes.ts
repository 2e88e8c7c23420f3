import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, notFound } from '../../../core/errors.js';
import { listOidcIdentities } from '../../../db/repositories/identity.repository.js';
import { endSessionById, listLiveSessions } from '../../../db/repositories/session.repository.js';
import { recordAudit } from '../../../services/audit.service.js';
import { unlinkIdentity } from '../../../services/identity/oidc-account.service.js';
import { sessionHash } from '../../../services/session.service.js';
import type { Html } from '../html.js';
import { type Viewer, sessionForm } from '../request.js';
import { redirect } from '../respond.js';
import { requireSudo } from '../sudo.js';
import { accountSections } from '../views/identity.view.js';
import type { WebDeps } from '../web.plugin.js';

/** The sign-in methods and sessions shown on /me (account.routes.ts puts them on the page). */
export async function accountSectionsOf(deps: WebDeps, viewer: Viewer): Promise<Html> {
  const { ctx } = deps.runtime;
  return accountSections({
    csrf: viewer.csrf,
    current: sessionHash(viewer.cookie),
    sessions: await listLiveSessions(ctx.db, viewer.actor.userId, ctx.clock.now().toISOString()),
    sso: deps.sso?.name ?? null,
    identities: deps.sso ? await listOidcIdentities(ctx.db, { userId: viewer.actor.userId }) : [],
    confirmedUntil: viewer.sudo && viewer.sudoUntil ? `${viewer.sudoUntil.toISOString().slice(11, 16)} UTC` : null,
  });
}

const idParam = (raw: string): number => {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id < 1) throw badRequest('an id is a positive integer');
  return id;
};

/** Ending one's other sessions, and unlinking an identity. */
export async function sessionRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { ctx } = deps.runtime;
  const poster = (request: FastifyRequest) => sessionForm(ctx, request);

  // Ending a session only takes access away, so it needs no re-authentication: someone who sees a
  // session they do not know must be able to end it at once.
  app.post<{ Params: { id: string } }>('/me/sessions/:id/end', async (request, reply) => {
    const { viewer } = await poster(request);
    const id = idParam(request.params.id);
    const now = ctx.clock.now().toISOString();
    if ((await endSessionById(ctx.db, viewer.actor.userId, id, now)) === 0) throw notFound('no such session of yours is live');
    await recordAudit(ctx.db, ctx.clock, { action: 'user.session_end', userId: viewer.actor.userId, tokenId: null, detail: { session_id: id } });
    return redirect(reply, '/me?notice=session-ended');
  });

  app.post<{ Params: { id: string } }>('/me/identities/:id/unlink', async (request, reply) => {
    const { viewer, form } = await poster(request);
    await requireSudo(deps, request, viewer, form);
    await unlinkIdentity(ctx, viewer.actor.userId, idParam(request.params.id));
    return redirect(reply, '/me?notice=identity-unlinked');
  });
}
