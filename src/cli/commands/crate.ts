import type { Command } from 'commander';
import { byteSize, type Config } from '../../config/config.js';
import { formatBytes } from '../../core/publish-frame.js';
import { type CrateLimits, getCrateLimits, type LimitChanges, setCrateLimits } from '../../services/crate-limits.service.js';
import { updateTrustpubOnly } from '../../services/trustpub/trustpub-config.service.js';
import { print, withContext } from './admin.js';
import { operator } from './token.js';

function describeLimits(name: string, limits: CrateLimits): string[] {
  const origin = (overridden: boolean) => (overridden ? 'set for this crate' : "the registry's setting");
  return [
    `${name}:`,
    `  max features      ${limits.maxFeatures} (${origin(limits.overridden.maxFeatures)})`,
    `  max upload size   ${formatBytes(limits.maxUploadSize)} (${origin(limits.overridden.maxUploadSize)})`,
  ];
}

/** `default` clears an override; anything else is parsed. */
function parseOverride<T>(value: string | undefined, parse: (v: string) => T): T | null | undefined {
  if (value === undefined) return undefined;
  return value.trim().toLowerCase() === 'default' ? null : parse(value);
}

function wholeNumber(v: string): number {
  if (!/^\d+$/.test(v.trim())) throw new Error(`expected a whole number or \`default\`, got \`${v}\``);
  return Number(v);
}

export function registerCrateCommands(program: Command, config: () => Config): void {
  const crate = program.command('crate').description('administer crates');
  crate
    .command('limits <name>')
    .description("show or set one crate's publish limits (overrides of max_features and max_crate_size); `default` clears an override")
    .option('--max-features <n>', 'features the crate may declare, and that one feature may enable')
    .option('--max-upload-size <size>', 'largest .crate upload, e.g. 50MB')
    .action(async (name: string, opts: { maxFeatures?: string; maxUploadSize?: string }) => {
      const changes: LimitChanges = {
        maxFeatures: parseOverride(opts.maxFeatures, wholeNumber),
        maxUploadSize: parseOverride(opts.maxUploadSize, (v) => byteSize(v)),
      };
      const changing = changes.maxFeatures !== undefined || changes.maxUploadSize !== undefined;
      const result = await withContext(config(), (ctx) =>
        changing ? setCrateLimits(ctx, { actor: null, via: operator() }, name, changes) : getCrateLimits(ctx, name),
      );
      for (const line of describeLimits(result.crate, result.limits)) print(line);
    });
  crate
    .command('trustpub-only <name> <on|off>')
    .description('accept new versions of the crate only through trusted publishing (on), or from owners\' API tokens too (off)')
    .action(async (name: string, state: string) => {
      const value = { on: true, off: false }[state.trim().toLowerCase()];
      if (value === undefined) throw new Error(`expected \`on\` or \`off\`, got \`${state}\``);
      const crateName = await withContext(config(), (ctx) => updateTrustpubOnly(ctx, { actor: null, via: operator() }, name, value));
      print(`${crateName}: trusted publishing only ${value ? 'on' : 'off'}`);
    });
}
