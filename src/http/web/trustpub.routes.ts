import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, crateNotFound } from '../../core/errors.js';
import { findCrateByCanonicalName } from '../../db/repositories/crate.repository.js';
import { createConfig, listConfigs, removeConfig, updateTrustpubOnly } from '../../services/trustpub/trustpub-config.service.js';
import { field, viewerOf, sessionForm } from './request.js';
import { redirect, sendPage } from './respond.js';
import { trustpubView } from './views/trustpub.view.js';
import type { WebDeps } from './web.plugin.js';

type Params = { Params: { name: string } };

/** A crate's trusted-publishing settings page, for its owners (the same rules as the API). */
export async function trustpubWebRoutes(app: FastifyInstance, deps: WebDeps): Promise<void> {
  const { ctx } = deps.runtime;
  const shellOf = (viewer: NonNullable<Awaited<ReturnType<typeof viewerOf>>>) => ({ viewer, allowSignup: ctx.config.allowSignup });
  const base = '/crates/:name/settings/trusted-publishing';
  const pathOf = (name: string) => `/crates/${encodeURIComponent(name)}/settings/trusted-publishing`;

  const poster = async (request: FastifyRequest) => {
    const { viewer, form } = await sessionForm(ctx, request);
    return { actor: viewer.actor, form };
  };

  app.get<Params>(base, async (request, reply) => {
    const viewer = await viewerOf(ctx, request);
    if (!viewer) return redirect(reply, `/login?next=${encodeURIComponent(pathOf(request.params.name))}`);
    const crate = await findCrateByCanonicalName(ctx.db, request.params.name);
    if (!crate) throw crateNotFound(request.params.name);
    const [github, gitlab] = [await listConfigs(ctx, viewer.actor, 'github', crate.name), await listConfigs(ctx, viewer.actor, 'gitlab', crate.name)];
    const notice = (request.query as { notice?: unknown }).notice;
    const issuersOf = (kind: 'github' | 'gitlab') => ctx.config.trustedIssuers.filter((i) => i.kind === kind).map((i) => i.url);
    const issuers = { github: issuersOf('github'), gitlab: issuersOf('gitlab') };
    const page = { crate: crate.name, csrf: viewer.csrf, trustpubOnly: crate.trustpub_only === 1, github, gitlab, issuers, notice: typeof notice === 'string' ? notice : null };
    return sendPage(reply, 200, trustpubView(shellOf(viewer), page), { noStore: true });
  });

  for (const kind of ['github', 'gitlab'] as const) {
    const names = kind === 'github' ? ['repository_owner', 'repository_name', 'workflow_filename'] : ['namespace', 'project', 'workflow_filepath'];
    app.post<Params>(`${base}/${kind}`, async (request, reply) => {
      const { actor, form } = await poster(request);
      const environment = field(form, 'environment').trim();
      const fields = Object.fromEntries(names.map((n) => [n, field(form, n).trim()]));
      const issuer = field(form, 'issuer').trim();
      const config = await createConfig(ctx, actor, kind, { [`${kind}_config`]: { crate: request.params.name, ...fields, environment: environment || null, issuer: issuer || null } });
      return redirect(reply, `${pathOf(String(config.crate))}?notice=added`);
    });
    app.post<{ Params: { name: string; id: string } }>(`${base}/${kind}/:id/delete`, async (request, reply) => {
      const { actor } = await poster(request);
      if (!/^\d{1,15}$/.test(request.params.id)) throw badRequest('a configuration id is a positive integer');
      await removeConfig(ctx, actor, kind, Number(request.params.id));
      return redirect(reply, `${pathOf(request.params.name)}?notice=removed`);
    });
  }

  app.post<Params>(`${base}/only`, async (request, reply) => {
    const { actor, form } = await poster(request);
    const value = field(form, 'value') === 'on';
    const name = await updateTrustpubOnly(ctx, { actor }, request.params.name, value);
    return redirect(reply, `${pathOf(name)}?notice=only-${value ? 'on' : 'off'}`);
  });
}
