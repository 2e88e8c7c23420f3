import { Command } from 'commander';
import { type Config, ConfigError, loadConfig } from './config/config.js';
import { AppError } from './core/errors.js';
import { print } from './cli/commands/admin.js';
import { describeDatabase, openContext, prepareDatabase } from './bootstrap.js';
import { serve } from './cli/commands/serve.js';
import { registerAuditCommand } from './cli/commands/audit.js';
import { registerBackupCommands } from './cli/commands/backup.js';
import { registerCheckCommand } from './cli/commands/check.js';
import { registerMirrorCommands } from './cli/commands/mirror.js';
import { registerTokenCommands } from './cli/commands/token.js';
import { registerUserCommands } from './cli/commands/user.js';

/** The `wharf` command line: one binary, a subcommand per job. */
export async function main(argv: string[]): Promise<void> {
  let config: Config | null = null;
  const getConfig = (): Config => (config ??= loadConfig());

  const program = new Command('wharf').description('Wharf, a self-hosted Cargo registry').showHelpAfterError();
  program
    .command('serve')
    .description('run the registry (migrates the database first)')
    .action(async () => serve(getConfig()));
  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => {
      const config = getConfig();
      const ctx = openContext(config);
      try {
        const applied = await prepareDatabase(ctx, { migrate: true });
        print(`${describeDatabase(config)}: ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}`);
      } finally {
        await ctx.db.destroy();
      }
    });
  registerUserCommands(program, getConfig);
  registerTokenCommands(program, getConfig);
  registerAuditCommand(program, getConfig);
  registerCheckCommand(program, getConfig);
  registerBackupCommands(program, getConfig);
  registerMirrorCommands(program, getConfig);

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError) throw new Error(err.message);
    if (err instanceof AppError) throw new Error(err.detail);
    throw err;
  }
}
