import type { FastifyInstance } from 'fastify';
import { handleLeakReport, verifyScannerSignature } from '../../services/leak.service.js';
import type { Runtime } from '../../services/runtime.js';

/** POST /api/github/secret-scanning/verify: leaked-token reports, signed by the scanner. */
export async function leakRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  const { ctx } = runtime;
  // The signature covers the exact bytes, so the body is kept raw.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_request, body, done) => done(null, body));

  app.post('/api/github/secret-scanning/verify', async (request) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    verifyScannerSignature(
      ctx,
      body,
      request.headers['github-public-key-identifier'] as string | undefined,
      request.headers['github-public-key-signature'] as string | undefined,
    );
    const verdicts = await handleLeakReport(ctx, body);
    request.log.info({ reports: verdicts.length, revoked: verdicts.filter((v) => v.label === 'true_positive').length }, 'leak report handled');
    return verdicts;
  });
}
