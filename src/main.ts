import { Command } from 'commander';
import { type Config, ConfigError, loadConfig } from './config/config.js';
import { AppError } from './core/errors.js';
import { withContext, print } from './cli/commands/admin.js';
import { serve } from './cli/commands/serve.js';
import { registerAuditCommand } from './cli/commands/audit.js';
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
      const applied = await withContext(getConfig(), async () => []);
      print(applied.length === 0 ? 'the database is up to date' : `applied ${applied.join(', ')}`);
    });
  registerUserCommands(program, getConfig);
  registerTokenCommands(program, getConfig);
  registerAuditCommand(program, getConfig);

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof ConfigError) throw new Error(err.message);
    if (err instanceof AppError) throw new Error(err.detail);
    throw err;
  }
}
