import type { Command } from 'commander';
import { byteSize, type Config } from '../../config/config.js';
import { formatBytes } from '../../core/publish-frame.js';
import { type CrateLimits, getCrateLimits, type LimitChanges, setCrateLimits } from '../../services/crate-limits.service.js';
import { updateTrustpubOnly } from '../../services/trustpub/trustpub-config.service.js';
import { print, withContext } from './admin.js';
import { deleteCrate, deleteVersion } from '../../services/crate-deletion/crate-deletion.service.js';
import { promptLine } from './confirm.js';
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
  crate
    .command('delete <name>')
    .description("delete a crate (every version, its owners and settings; the name stays reserved for deleted_name_reserve_hours), or with --version one version; cargo builds that need it fail")
    .option('--version <version>', 'delete only this version (its last version deletes the crate)')
    .option('--message <text>', 'why, kept with the deletion and in the audit log')
    .option('--yes', "delete without asking (for scripts); on a terminal the crate's name is asked for instead", false)
    .action(async (name: string, opts: { version?: string; message?: string; yes: boolean }) => {
      const what = opts.version ? `version ${opts.version} of the crate \`${name}\`` : `the crate \`${name}\` with every version`;
      if (!opts.yes) await confirmByName(name, what);
      const by = { actor: null, via: operator() };
      const filesLeft = await withContext(config(), async (ctx) => {
        if (opts.version) {
          const done = await deleteVersion(ctx, by, name, opts.version, { message: opts.message });
          print(done.crateDeleted ? `deleted ${done.crate} ${done.version}, its last version: the crate is deleted` : `deleted ${done.crate} ${done.version}`);
          return done.filesLeft;
        }
        const done = await deleteCrate(ctx, by, 'admin', name, { message: opts.message });
        print(`deleted ${done.crate} (${done.versions} version(s))`);
        return done.filesLeft;
      });
      if (filesLeft > 0) print(`${filesLeft} file(s) could not be removed; \`wharf check\` lists them as orphans`);
    });
}

/** On a terminal the operator types the crate's name to go on; anywhere else it needs `--yes`. */
async function confirmByName(name: string, what: string): Promise<void> {
  if (!process.stdin.isTTY) throw new Error(`this deletes ${what}; add --yes to confirm`);
  const answer = await promptLine(`This deletes ${what}; it cannot be undone.\nType the crate's name to go on: `);
  if (answer.trim() !== name) throw new Error('not confirmed: nothing was deleted');
}
