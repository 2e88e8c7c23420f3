import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { categoryDocument, categoryList, removeCategory, setCategory } from '../../services/category.service.js';
import { print, withContext } from './admin.js';
import { operator } from './token.js';

/** `wharf category`: the registry's list of categories, which publishes are checked against. */
export function registerCategoryCommands(program: Command, config: () => Config): void {
  const category = program.command('category').description("edit the registry's categories (crates.io's by default)");
  category
    .command('list')
    .description('list the top-level categories with their crate counts; --all lists every slug')
    .option('--all', 'every category, subcategories included', false)
    .action(async (opts: { all: boolean }) => {
      await withContext(config(), async (ctx) => {
        const top = [];
        for (let page = 1; ; page++) {
          const batch = (await categoryList(ctx, { per_page: '100', page: String(page) })).categories;
          top.push(...batch);
          if (batch.length < 100) break;
        }
        for (const c of top) {
          print(`${c.slug.padEnd(32)} ${String(c.crates_cnt).padStart(6)}  ${c.category}`);
          if (!opts.all) continue;
          const queue = (await categoryDocument(ctx, c.slug)).category.subcategories;
          while (queue.length > 0) {
            const sub = queue.shift()!;
            print(`${sub.slug.padEnd(32)} ${String(sub.crates_cnt).padStart(6)}  ${sub.category}`);
            queue.unshift(...(await categoryDocument(ctx, sub.slug)).category.subcategories);
          }
        }
      });
    });
  category
    .command('set <slug>')
    .description('add a category, or rename or describe one (a subcategory is `parent::child`)')
    .requiredOption('--name <name>', 'the name shown')
    .option('--description <text>', 'one sentence about what belongs in it')
    .action(async (slug: string, opts: { name: string; description?: string }) => {
      await withContext(config(), (ctx) => setCategory(ctx, { actor: null, via: operator() }, { slug, name: opts.name, description: opts.description }));
      print(`category ${slug.toLowerCase()} set`);
    });
  category
    .command('remove <slug>')
    .description('remove a category without subcategories; its crates lose it')
    .action(async (slug: string) => {
      await withContext(config(), (ctx) => removeCategory(ctx, { actor: null, via: operator() }, slug));
      print(`category ${slug.toLowerCase()} removed`);
    });
}
