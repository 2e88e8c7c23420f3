import { Command } from 'commander';
import { type Config, ConfigError, loadConfig } from './config/config.js';
import { AppError, operatorDetail } from './core/errors.js';
import { print } from './cli/commands/admin.js';
import { describeDatabase, describeRegistry, openContext, prepareDatabase } from './bootstrap.js';
import { serve } from './cli/commands/serve.js';
import { refuseWhileRestoring } from './storage/data-lock.js';
import { registerAuditCommand } from './cli/commands/audit.js';
import { registerBackupCommands } from './cli/commands/backup.js';
import { registerCheckCommand } from './cli/commands/check.js';
import { registerCategoryCommands } from './cli/commands/category.js';
import { needsNoRegistry, registerConfigCommands } from './cli/commands/config.js';
import { registerCrateCommands } from './cli/commands/crate.js';
import { registerMirrorCommands } from './cli/commands/mirror.js';
import { registerStaticCommands } from './cli/commands/static.js';
import { registerStorageCommands } from './cli/commands/storage.js';
import { registerTeamCommands } from './cli/commands/team.js';
import { registerTokenCommands } from './cli/commands/token.js';
import { registerUserCommands } from './cli/commands/user.js';

/** The `wharf` command line: one binary, a subcommand per job. */
export async function main(argv: string[]): Promise<void> {
  // Everything Wharf writes (database, crate files, backups, lock files) is for its own account
  // only; the places that create files also set their modes, this covers what they miss.
  process.umask(0o077);
  let config: Config | null = null;
  const getConfig = (): Config => (config ??= loadConfig());

  const program = new Command('wharf').description('Wharf, a self-hosted Cargo registry').showHelpAfterError();
  // Before any command runs: which registry it works on, so a wrong folder shows at once.
  program.hook('preAction', (_program, command) => {
    if (needsNoRegistry(command)) return;
    process.stderr.write(`wharf: ${describeRegistry(getConfig())}\n`);
  });
  program
    .command('serve')
    .description('run the registry (migrates the database first)')
    .action(async () => serve(getConfig()));
  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => {
      const config = getConfig();
      refuseWhileRestoring(config.dataDir);
      const ctx = openContext(config);
      try {
        const applied = await prepareDatabase(ctx, { migrate: true });
        print(`${describeDatabase(config)}: ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}`);
      } finally {
        ctx.blobs.close?.();
        await ctx.db.destroy();
      }
    });
  registerUserCommands(program, getConfig);
  registerTokenCommands(program, getConfig);
  registerAuditCommand(program, getConfig);
  registerCheckCommand(program, getConfig);
  registerBackupCommands(program, getConfig);
  registerCrateCommands(program, getConfig);
  registerCategoryCommands(program, getConfig);
  registerMirrorCommands(program, getConfig);
  registerConfigCommands(program);
  registerTeamCommands(program, getConfig);
  registerStaticCommands(program, getConfig);
  registerStorageCommands(program, getConfig);

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError) throw new Error(err.message);
    if (err instanceof AppError) throw new Error(operatorDetail(err));
    throw err;
  }
}
