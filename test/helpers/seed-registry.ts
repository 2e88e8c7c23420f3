import { openContext } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/config.js';
import { publishVersion } from '../../src/services/publish.service.js';
import { authenticateToken, createToken } from '../../src/services/token.service.js';
import { createUser } from '../../src/services/user.service.js';
import { crateTarball, metadataFor, type CrateSpec } from './crate-builder.js';
import { databaseEnv } from './wharf-process.js';

/**
 * Publishes `specs` as `login` straight on the database of the registry that `env` names (one
 * already migrated), with no server running: what the CLI tests then work on. Returns the
 * database URL on the PostgreSQL run, else null.
 */
export async function seedRegistry(env: Record<string, string>, login: string, specs: readonly CrateSpec[]): Promise<string | null> {
  const databaseUrl = (await databaseEnv(env)).WHARF_DATABASE_URL ?? null;
  const ctx = openContext(loadConfig({}, { dataDir: env.WHARF_DATA_DIR!, databaseUrl }));
  try {
    const user = await createUser(ctx, { login });
    const actor = await authenticateToken(ctx, (await createToken(ctx, user.id, { name: 'cli test' }, null)).token);
    for (const spec of specs) {
      await publishVersion(ctx, actor, { json: Buffer.from(JSON.stringify(metadataFor(spec))), crate: await crateTarball(spec) });
    }
  } finally {
    await ctx.db.destroy();
  }
  return databaseUrl;
}
