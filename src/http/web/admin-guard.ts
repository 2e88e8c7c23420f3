import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../../core/errors.js';
import { checkSessionForm, type FormBody, formOf, type Viewer, viewerOf } from './request.js';
import { redirect } from './respond.js';
import { requireSudo } from './sudo.js';
import type { WebDeps } from './web.plugin.js';

/** The checks every admin page makes: an admin session; for a post also its CSRF token and a recent password. */
export function adminGuards(deps: WebDeps) {
  const { ctx } = deps.runtime;
  /** The admin viewing the page; null after redirecting a signed-out browser to sign in. */
  const admin = async (request: FastifyRequest, reply: FastifyReply): Promise<Viewer | null> => {
    const viewer = await viewerOf(ctx, request);
    if (!viewer) {
      if (request.method === 'GET') {
        redirect(reply, `/login?next=${encodeURIComponent(request.url)}`);
        return null;
      }
      throw unauthorized('your session has ended: sign in again');
    }
    if (!viewer.actor.isAdmin) throw forbidden('this page is for administrators of the registry');
    return viewer;
  };
  const adminPost = async (request: FastifyRequest, reply: FastifyReply): Promise<{ viewer: Viewer; form: FormBody } | null> => {
    const viewer = await admin(request, reply);
    if (!viewer) return null;
    const form = formOf(request);
    checkSessionForm(viewer, form);
    // Every admin action needs a recent password, whoever holds the session cookie.
    await requireSudo(deps, request, viewer, form);
    return { viewer, form };
  };
  return { admin, adminPost };
}
