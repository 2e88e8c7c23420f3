import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError } from '../../core/errors.js';
import { completePasswordReset, passwordResetAccount } from '../../services/account-lifecycle.service.js';
import { checkPreSessionForm, field, formOf, preSessionCsrf } from './request.js';
import { sendPage } from './respond.js';
import { passwordResetDoneView, passwordResetView } from './views/password-reset.view.js';
import type { WebDeps } from './web.plugin.js';

/** The link's secret is in the path: no page of it may pass it on in a Referer. */
const PRIVATE_PAGE = { noStore: true, headers: { 'referrer-policy': 'no-referrer' } };

/** `/reset-password/SECRET`: the single-use link an administrator made with `wharf user reset-password`. */
export async function passwordResetRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { ctx } = deps.runtime;
  const shell = { viewer: null, allowSignup: ctx.config.allowSignup };
  const page = (reply: FastifyReply, status: number, body: ReturnType<typeof passwordResetView>) => sendPage(reply, status, body, PRIVATE_PAGE);

  app.get<{ Params: { secret: string } }>('/reset-password/:secret', async (request, reply) => {
    const { user } = await passwordResetAccount(ctx, request.params.secret);
    const csrf = preSessionCsrf(ctx, await deps.csrfKey(), request, reply);
    return page(reply, 200, passwordResetView(shell, { csrf, login: user.login, action: request.url }));
  });

  app.post<{ Params: { secret: string } }>('/reset-password/:secret', async (request, reply) => {
    const form = formOf(request);
    checkPreSessionForm(ctx, await deps.csrfKey(), request, form);
    try {
      const user = await completePasswordReset(ctx, request.params.secret, field(form, 'password'), field(form, 'confirm'));
      request.log.info({ event: 'user.password_reset_used', user_id: user.id }, 'password set through a reset link');
      return page(reply, 200, passwordResetDoneView(shell, user.login));
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 400) throw err;
      const { user } = await passwordResetAccount(ctx, request.params.secret);
      const csrf = preSessionCsrf(ctx, await deps.csrfKey(), request, reply);
      return page(reply, 400, passwordResetView(shell, { csrf, login: user.login, action: request.url, error: err.detail }));
    }
  });
}
