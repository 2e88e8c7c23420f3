import type { Command } from 'commander';
import { renderSampleConfig } from '../../config/sample-config.js';

/** `wharf config sample`: the commented wharf.toml with every setting and its default. */
export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('the configuration file');
  config
    .command('sample')
    .description('print a commented wharf.toml with every setting and its default (wharf config sample > wharf.toml)')
    .action(() => {
      process.stdout.write(renderSampleConfig());
    });
}

/** Commands that work without a registry, or without a valid configuration. */
export const needsNoRegistry = (command: Command): boolean => command.name() === 'sample' && command.parent?.name() === 'config';
