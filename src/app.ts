import { createServer } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { type DestinationStream, destination, type Logger } from 'pino';
import { badRequest } from './core/errors.js';
import { AccessLog, accessLineWriter } from './http/access-log.js';
import { type FlushableDestination, TurnBatchedDestination } from './http/log-destination.js';
import { PrettyDestination } from './http/log-pretty.js';
import { SecretMaskingDestination } from './http/log-secrets.js';
import { catalogRoutes, WHARF_VERSION } from './http/api/catalog.routes.js';
import { crateReadRoutes } from './http/api/crate-reads.routes.js';
import { crateRoutes } from './http/api/crates.routes.js';
import { invitationRoutes } from './http/api/invitations.routes.js';
import { crateDeleteRoutes } from './http/api/crate-delete.routes.js';
import { leakRoutes } from './http/api/leaks.routes.js';
import { collectApiDescription, openapiRoutes } from './http/api/openapi.js';
import { publishRoutes } from './http/api/publish.routes.js';
import { tokenRoutes } from './http/api/tokens.routes.js';
import { trustpubRoutes } from './http/api/trustpub.routes.js';
import { apiErrorHandler, sendApiError } from './http/errors.js';
import { healthRoutes } from './http/health.routes.js';
import { refuseUnstorableUrl, storableJson } from './http/storable-input.js';
import { downloadFastPath, mirrorDownloadFastPath } from './http/api/download-fast-path.js';
import { type FastPath, type FastPathOptions, firstOf } from './http/fast-path.js';
import { staticAuthFastPath, staticAuthRoutes } from './http/api/static-auth.routes.js';
import { indexFastPath, mirrorIndexFastPath } from './http/index/index-fast-path.js';
import { indexRoutes } from './http/index/index.routes.js';
import { imageProxyRoutes } from './http/image-proxy/image-proxy.routes.js';
import { mirrorRoutes } from './http/mirror/mirror.routes.js';
import { sendNotFoundPage, webRoutes } from './http/web/web.plugin.js';
import { type Runtime, stopRuntime } from './services/runtime.js';

export interface AppOptions {
  /** Where log lines go (stdout by default); tests capture them to prove no secret is logged. */
  logStream?: DestinationStream;
}

/**
 * Logged request fields never include these, whatever a future serializer adds. Every line is
 * also masked for token- and session-shaped values in any field (`http/log-secrets.ts`).
 */
const REDACT = [
  'headers.authorization',
  'headers.cookie',
  'headers["x-csrf-token"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
];

/** Paths answered for programs (cargo, scripts, probes): their errors stay JSON. */
function isMachinePath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return /^\/+(api|index|mirror|health)(\/|$)/.test(path);
}

/** Fastify's default: longer than the usual proxy's idle timeout, so the proxy closes first. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

/** Request ids for the access lines, one sequence for Fastify and the fast path (`req-1`, `req-2`...). */
function requestIds(): () => string {
  let next = 0;
  return () => `req-${(next = (next + 1) & 0x7fffffff).toString(36)}`;
}

/** Builds the HTTP app without listening, so tests can use inject(). */
export async function buildApp(runtime: Runtime, options: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = runtime.ctx;
  const nextRequestId = requestIds();
  // stdout gets each turn's lines in one write; tests pass their own stream and see every line at
  // once. Either way every line, the fast paths' access lines included, is masked on its way.
  const target: FlushableDestination = options.logStream ?? new TurnBatchedDestination(destination({ dest: 1, sync: true }));
  const logStream = new SecretMaskingDestination(config.logFormat === 'pretty' ? new PrettyDestination(target) : target);
  let fastPath: FastPath = () => false;
  let closing = false;
  const app = Fastify({
    logger: { level: config.logLevel, redact: { paths: REDACT, censor: '[redacted]' }, stream: logStream },
    // Large publishes stream through their own parser; other JSON bodies are small.
    bodyLimit: 1024 * 1024,
    // Node's own server, set up as Fastify would set it up, with the fast paths for index files
    // and downloads in front (assigned below, once the logger they write to exists). Fastify then
    // binds one address only: a host name listens on the first address it resolves to.
    serverFactory: (handler) => {
      const server = createServer(
        {
          // Clients that trickle headers or bodies are cut off instead of holding sockets forever.
          headersTimeout: Math.min(config.headersTimeoutMs, config.requestTimeoutMs),
          requestTimeout: config.requestTimeoutMs,
          // Node checks those deadlines on a timer (30 s by default); check often enough to honour them.
          connectionsCheckingInterval: Math.max(50, Math.min(5000, Math.floor(config.headersTimeoutMs / 4))),
        },
        (request, response) => {
          let answered = false;
          try {
            answered = fastPath(request, response);
          } catch (err) {
            // An exception must not escape Node's request listener: it would end the process.
            // A fast path does everything that can fail before it writes, so a failure there (a
            // database error while checking a token) leaves the request to the route, which
            // answers it with Fastify's error handling. A failure after the answer went out is
            // only logged.
            app.log.error({ err, url: request.url }, 'fast path failed');
            if (response.headersSent) {
              if (!response.writableEnded) response.destroy();
              return;
            }
          }
          if (!answered) handler(request, response);
        },
      );
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      return server;
    },
    genReqId: nextRequestId,
    // Behind the configured proxies, request.ip (the login and sign-up limits' key) is the client
    // they forwarded for; anyone else's X-Forwarded-For is ignored.
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    routerOptions: { ignoreDuplicateSlashes: true },
    return503OnClosing: true,
    logController: new AccessLog(),
  });
  runtime.shared.useLog(app.log);
  // At trace level every request's headers are logged by a Fastify hook below; it sees them all.
  if (config.logLevel !== 'trace') {
    const fast: FastPathOptions = { accessLine: accessLineWriter(app.log as Logger), nextRequestId, closing: () => closing };
    fastPath = firstOf(indexFastPath(runtime, fast), mirrorIndexFastPath(runtime, fast), downloadFastPath(runtime, fast), mirrorDownloadFastPath(runtime, fast), staticAuthFastPath(runtime, fast));
  }
  // The first root preClose hook: Fastify runs it before closing the server, so from then on the
  // fast paths leave every request to Fastify, which answers 503 and closes the connection.
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.setErrorHandler(apiErrorHandler);
  // cargo sends `Content-Type: application/json` with an empty body on unyank: that is no body, not bad JSON.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return done(badRequest('the request body is not valid JSON'));
    }
    try {
      done(null, storableJson(parsed));
    } catch (err) {
      done(err as Error);
    }
  });
  // Text the database cannot store (NUL, unpaired surrogates) in a URL is a 400 for every route.
  app.addHook('onRequest', refuseUnstorableUrl);
  // Not-found handling belongs to the root: the API and the index answer in JSON; other paths
  // answer browsers (which ask for text/html) with a page and programs with JSON.
  app.setNotFoundHandler((request, reply) =>
    isMachinePath(request.url) || !/\btext\/html\b/.test(request.headers.accept ?? '')
      ? sendApiError(reply, 404, `no route for ${request.method} ${request.url.split('?')[0]}`)
      : sendNotFoundPage(runtime, request, reply),
  );

  // At trace level the request headers are logged for debugging, through the redaction above.
  // The hook exists only then, so other levels pay nothing for it per request.
  if (config.logLevel === 'trace') {
    app.addHook('onRequest', async (request) => {
      request.log.trace({ headers: request.headers }, 'request headers');
    });
  }

  // Before any route: the description is built from every route registered after this.
  const description = collectApiDescription(app, WHARF_VERSION);
  await app.register(indexRoutes, { runtime });
  await app.register(mirrorRoutes, { runtime });
  await app.register(publishRoutes, { runtime });
  await app.register(crateRoutes, { runtime });
  await app.register(crateDeleteRoutes, { runtime });
  await app.register(crateReadRoutes, { runtime });
  await app.register(invitationRoutes, { runtime });
  await app.register(catalogRoutes, { runtime });
  await app.register(tokenRoutes, { runtime });
  await app.register(staticAuthRoutes, { runtime });
  await app.register(leakRoutes, { runtime });
  await app.register(trustpubRoutes, { runtime });
  await app.register(openapiRoutes, { description });
  // The HTML pages are their own encapsulated plugin, with their own error pages and form parser.
  await app.register(imageProxyRoutes, { runtime });
  await app.register(webRoutes, { runtime });
  await app.register(healthRoutes, { runtime });

  app.addHook('onClose', async () => {
    await stopRuntime(runtime);
  });
  return app;
}
