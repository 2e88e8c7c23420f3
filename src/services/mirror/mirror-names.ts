import { mirrorIndexFileExists } from '../../db/repositories/mirror.repository.js';
import type { ServiceContext } from '../context.js';
import type { Mirror } from './mirror.js';

/**
 * The warning for a private crate whose name the mirror's cache also holds: the publish succeeds
 * (the namespaces are apart), but a dependent that forgets `registry = "..."` gets the public
 * crate. Only the cache is read, never the upstream: asking it would tell the mirrored registry
 * the name of every private crate published here.
 */
export async function upstreamNameWarning(ctx: ServiceContext, mirror: Mirror, name: string, registryName: string): Promise<string | null> {
  if (!(await mirrorIndexFileExists(ctx.db, name.toLowerCase()))) return null;
  const where = mirror.upstream ? `the mirrored registry ${mirror.upstream.indexUrl}` : "the mirror's cache";
  return `a crate named \`${name}\` also exists on ${where}: dependents must say \`registry = "${registryName}"\`, or cargo gives them the public crate`;
}
