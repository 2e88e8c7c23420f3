import Fastify, { type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { badRequest } from './core/errors.js';
import { crateRoutes } from './http/api/crates.routes.js';
import { leakRoutes } from './http/api/leaks.routes.js';
import { publishRoutes } from './http/api/publish.routes.js';
import { tokenRoutes } from './http/api/tokens.routes.js';
import { apiErrorHandler, sendApiError } from './http/errors.js';
import { healthRoutes } from './http/health.routes.js';
import { indexRoutes } from './http/index/index.routes.js';
import { meRoutes } from './http/web/me.routes.js';
import { type Runtime, stopRuntime } from './services/runtime.js';

export interface AppOptions {
  /** Where log lines go (stdout by default); tests capture them to prove no secret is logged. */
  logStream?: DestinationStream;
}

/** Logged request fields never include these, whatever a future serializer adds. */
const REDACT = ['headers.authorization', 'headers.cookie', 'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'];

/** Builds the HTTP app without listening, so tests can use inject(). */
export async function buildApp(runtime: Runtime, options: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = runtime.ctx;
  const app = Fastify({
    logger: { level: config.logLevel, redact: { paths: REDACT, censor: '[redacted]' }, ...(options.logStream ? { stream: options.logStream } : {}) },
    // Large publishes stream through their own parser; other JSON bodies are small.
    bodyLimit: 1024 * 1024,
    // Clients that trickle headers or bodies are cut off instead of holding sockets forever.
    requestTimeout: 120_000,
    routerOptions: { ignoreDuplicateSlashes: true },
    return503OnClosing: true,
  });
  app.setErrorHandler(apiErrorHandler);
  // cargo sends `Content-Type: application/json` with an empty body on unyank: that is no body, not bad JSON.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(badRequest('the request body is not valid JSON'));
    }
  });
  app.setNotFoundHandler((request, reply) => sendApiError(reply, 404, `no route for ${request.method} ${request.url.split('?')[0]}`));

  // At trace level the request headers are logged for debugging, through the redaction above.
  app.addHook('onRequest', async (request) => {
    if (request.log.level === 'trace') request.log.trace({ headers: request.headers }, 'request headers');
  });

  await app.register(indexRoutes, { runtime });
  await app.register(publishRoutes, { runtime });
  await app.register(crateRoutes, { runtime });
  await app.register(tokenRoutes, { runtime });
  await app.register(leakRoutes, { runtime });
  await app.register(meRoutes, { runtime });
  await app.register(healthRoutes, { runtime });

  app.addHook('onClose', async () => {
    await stopRuntime(runtime);
  });
  return app;
}
