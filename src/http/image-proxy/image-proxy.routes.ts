import type { FastifyInstance } from 'fastify';
import { forbidden, notFound } from '../../core/errors.js';
import type { Runtime } from '../../services/runtime.js';
import { authorizeRead } from '../auth.js';
import { viewerOf } from '../web/request.js';

/**
 * SVG can carry script, links and (in a foreignObject) HTML forms: opened on its own from Wharf's
 * origin it must never run or post anything, so it gets a CSP of its own that allows nothing but
 * its inline styles and sandboxes it (no forms, no scripts, an origin of its own; `default-src`
 * does not cover form targets).
 */
const SVG_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox",
  'content-disposition': 'inline',
};

/**
 * `GET /img/<signature>/<base64url URL>`: a README image from another host, through Wharf's own
 * proxy (services/image-proxy/). Only paths Wharf signed are fetched; answers carry only the
 * image's type and bytes, with nosniff. On a registry that requires authentication the images of
 * its READMEs are as private as the READMEs: a reader needs a session (the browser sends its
 * cookie with a same-origin image) or a token that may read, and answers are cached privately.
 */
export async function imageProxyRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  const proxy = runtime.images;
  const { ctx } = runtime;
  app.get<{ Params: { signature: string; encoded: string } }>('/img/:signature/:encoded', async (request, reply) => {
    if (!proxy.enabled) throw notFound('the image proxy is turned off on this registry (image_proxy = false)');
    if (ctx.config.authRequired && !(await viewerOf(ctx, request))) await authorizeRead(ctx, request);
    const url = (await proxy.signerOf()).verify(request.params.signature, request.params.encoded);
    if (url === null) throw forbidden('this image path was not signed by this registry');
    const image = await proxy.image(url);
    return reply
      .headers({
        'x-content-type-options': 'nosniff',
        'cache-control': ctx.config.authRequired ? 'private, max-age=86400' : 'public, max-age=86400',
        'referrer-policy': 'no-referrer',
        ...(image.contentType === 'image/svg+xml' ? SVG_HEADERS : {}),
      })
      .type(image.contentType)
      .send(image.body);
  });
}
