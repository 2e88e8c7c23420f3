import type { FastifyInstance } from 'fastify';
import { tooLarge } from '../../core/errors.js';
import { formatBytes, PublishFrameReader } from '../../core/publish-frame.js';
import { uploadCeilings } from '../../services/crate-limits.service.js';
import { upstreamNameWarning } from '../../services/mirror/mirror-names.js';
import { loadCrate } from '../../services/crate-query.service.js';
import { crateSummary } from '../../services/crate-summary.js';
import { publishVersion } from '../../services/publish.service.js';
import { indexChanged, type Runtime } from '../../services/runtime.js';
import { requireActor } from '../auth.js';
import * as R from './schemas/responses.js';

const MAX_JSON_SIZE = 1024 * 1024;

/** PUT /api/v1/crates/new: the body is streamed through the frame reader, never buffered past the limits. */
export async function publishRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }): Promise<void> {
  const { ctx } = runtime;

  // cargo sends no Content-Type: take every body here as a raw stream.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.put('/api/v1/crates/new', { schema: R.reply(R.publishAnswer) }, async (request, reply) => {
    const actor = await requireActor(ctx, request, { trustpub: true });
    // Read under the registry's limits raised to the highest per-crate override; the crate's own
    // limits are applied once its name is known.
    const ceilings = await uploadCeilings(ctx);
    const limits = { maxJsonSize: MAX_JSON_SIZE, maxCrateSize: ceilings.maxCrateSize, crateLimitFor: (json: Buffer) => ceilings.crateSizeLimit(nameIn(json)) };
    const declared = Number(request.headers['content-length'] ?? NaN);
    if (declared > PublishFrameReader.maxBodySize(limits)) {
      throw tooLarge(`the upload is ${formatBytes(declared)}, over this registry's limit of ${formatBytes(limits.maxCrateSize)} for a .crate file`);
    }
    const reader = new PublishFrameReader(limits);
    const body = request.body as AsyncIterable<Buffer> | undefined;
    if (body) {
      for await (const chunk of body) reader.push(chunk);
    }
    const result = await publishVersion(ctx, actor, reader.finish(), runtime.publishLimits, runtime.readmes, ceilings.metadata);
    await indexChanged(runtime, result.crate);
    request.log.info({ crate: result.crate, version: result.version, user: actor.login, token_id: actor.token?.id }, 'published');
    const shadowed = runtime.mirror ? await upstreamNameWarning(ctx, runtime.mirror, result.crate, ctx.config.registryName) : null;
    const warnings = shadowed ? { ...result.warnings, other: [...result.warnings.other, shadowed] } : result.warnings;
    // crates.io's answer: the crate as its lists show it, and what was accepted with a warning.
    return reply.send({ crate: result.summary, warnings });
  });
}

/** The crate name an upload's metadata gives, or '' when it cannot be read (publish refuses it later). */
function nameIn(json: Buffer): string {
  try {
    const name = (JSON.parse(json.toString('utf8')) as { name?: unknown } | null)?.name;
    return typeof name === 'string' ? name : '';
  } catch {
    return '';
  }
}
