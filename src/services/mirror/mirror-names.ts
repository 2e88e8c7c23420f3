import type { Mirror } from './mirror.js';

/** How long a publish waits to learn whether the upstream has the name; past it, no warning. */
const CHECK_WAIT_MS = 2000;

/**
 * The warning for a private crate whose name the mirrored registry also has: the publish
 * succeeds (the namespaces are apart), but a dependent that forgets `registry = "..."` gets the
 * public crate. Null when the upstream (or, offline, the cache) does not have it, or cannot say
 * in time.
 */
export async function upstreamNameWarning(mirror: Mirror, name: string, registryName: string): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_WAIT_MS);
  });
  const found = mirror.index.get(name.toLowerCase()).then(
    () => true,
    () => false,
  );
  const exists = await Promise.race([found, late]).finally(() => clearTimeout(timer));
  if (!exists) return null;
  const where = mirror.upstream ? `the mirrored registry ${mirror.upstream.indexUrl}` : "the mirror's cache";
  return `a crate named \`${name}\` also exists on ${where}: dependents must say \`registry = "${registryName}"\`, or cargo gives them the public crate`;
}
