import { buildApp } from '../../app.js';
import { openContext, prepareDatabase } from '../../bootstrap.js';
import type { Config } from '../../config/config.js';
import { countUsers } from '../../db/repositories/user.repository.js';
import type { ServiceContext } from '../../services/context.js';
import { createRuntime, startRuntime } from '../../services/runtime.js';
import { holdServeLock } from '../../storage/data-lock.js';

/** `wharf serve`: migrate, listen, and shut down gracefully on SIGTERM/SIGINT. */
export async function serve(config: Config): Promise<void> {
  // Held until the process exits: `wharf restore` refuses to replace data a server is using.
  const lock = holdServeLock(config.dataDir);
  let ctx: ServiceContext;
  try {
    ctx = openContext(config);
  } catch (err) {
    lock.release();
    throw err;
  }
  try {
    await prepareDatabase(ctx, { migrate: config.autoMigrate });
    // A bucket that is missing or refuses the credentials stops the start, as the database does.
    await ctx.blobs.probe?.();
  } catch (err) {
    lock.release();
    ctx.blobs.close?.();
    await ctx.db.destroy();
    throw err;
  }
  const runtime = createRuntime(ctx);
  const app = await buildApp(runtime);
  await startRuntime(runtime, app.log);

  if ((await countUsers(ctx.db)) === 0) {
    app.log.warn(
      'no users exist yet: create the first admin with `npx wharf user add <login> --admin`, then give it a password with `npx wharf user password <login>` and sign in at ' +
        `${config.publicUrl}/login (there is no default password)`,
    );
  }
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await app.close().catch(() => undefined);
    await ctx.db.destroy().catch(() => undefined);
    lock.release();
    throw listenProblem(err, config);
  }
  app.log.info({ index: `sparse+${config.publicUrl}/index/` }, `Wharf registry \`${config.registryName}\` ready`);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing requests in flight');
    app
      .close()
      .then(() => ctx.db.destroy())
      .then(() => {
        ctx.blobs.close?.();
        lock.release();
        app.log.info({ event: 'shutdown', signal }, 'shutdown complete: every request in flight was answered');
        process.exit(0);
      })
      .catch((err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** A listen failure the operator can act on, named with the setting that fixes it. */
function listenProblem(err: unknown, config: Config): unknown {
  const code = (err as { code?: unknown }).code;
  const where = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE') {
    return new Error(`${where} is already in use (another Wharf, or another program): stop it, or choose another port with WHARF_PORT (\`port\` in wharf.toml)`);
  }
  if (code === 'EACCES') return new Error(`not allowed to listen on ${where}: ports below 1024 need privileges; choose another with WHARF_PORT`);
  if (code === 'EADDRNOTAVAIL') return new Error(`${config.host} is not an address of this machine: set WHARF_HOST to one of its addresses (or 0.0.0.0)`);
  return err;
}
