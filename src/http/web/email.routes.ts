import type { FastifyInstance } from 'fastify';
import { AppError, badRequest } from '../../core/errors.js';
import { changeEmail, confirmEmail } from '../../services/mail/email-verification.service.js';
import { setPublishNotices } from '../../services/mail/mail-settings.service.js';
import { field, fields, viewerOf, sessionForm } from './request.js';
import { redirect } from './respond.js';
import { requireSudo } from './sudo.js';
import type { WebDeps } from './web.plugin.js';

/** The e-mail forms of /me and the confirmation link mailed to a new address. */
export async function emailRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { ctx } = deps.runtime;

  const poster = (request: Parameters<typeof viewerOf>[1]) => sessionForm(ctx, request);

  app.post('/me/email', async (request, reply) => {
    const { viewer, form } = await poster(request);
    // Where security notices go is itself a security setting: it needs a recent proof of identity.
    await requireSudo(deps, request, viewer, form);
    try {
      const { email } = await changeEmail(ctx, viewer.actor.userId, field(form, 'email'));
      return redirect(reply, `/me?notice=${email ? 'email-saved' : 'email-removed'}`);
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 400) throw err;
      return redirect(reply, '/me?email_error=invalid');
    }
  });

  app.post('/me/notices', async (request, reply) => {
    const { viewer, form } = await poster(request);
    const on = new Set(fields(form, 'crates'));
    const shown = field(form, 'shown').split(',').filter((s) => s !== '');
    for (const id of shown) {
      if (!/^\d{1,12}$/.test(id)) throw badRequest('the form is damaged: reload the page and try again');
      await setPublishNotices(ctx, viewer.actor.userId, Number(id), on.has(id));
    }
    return redirect(reply, '/me?notice=notices-saved');
  });

  // Anyone holding the link confirms the address it was sent to: it proves the mailbox, not a session.
  app.get<{ Params: { token: string } }>('/confirm-email/:token', async (request, reply) => {
    await confirmEmail(ctx, request.params.token);
    return redirect(reply, '/me?notice=email-confirmed');
  });
}
