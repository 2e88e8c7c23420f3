import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { addTeamMember, createTeam, listTeams, removeTeam, removeTeamMember, teamName } from '../../services/owners/team.service.js';
import { print, withContext } from './admin.js';
import { operator } from './token.js';

/** `wharf team`: groups of users that can own crates (`cargo owner --add team:NAME`). */
export function registerTeamCommands(program: Command, config: () => Config): void {
  const team = program.command('team').description('manage teams, which own crates as `team:NAME`');
  const by = () => ({ actor: null, via: operator() });
  team
    .command('add <name>')
    .description('create a team (lowercase letters, digits, - and _)')
    .option('--description <text>', 'what the team is, shown as its name in owner lists')
    .action(async (name: string, opts: { description?: string }) => {
      const row = await withContext(config(), (ctx) => createTeam(ctx, by(), { name, description: opts.description ?? null }));
      print(`created team team:${row.name}; add members with: wharf team add-member ${row.name} LOGIN`);
    });
  team
    .command('remove <name>')
    .description('remove a team: its members lose the crates it owned')
    .action(async (name: string) => {
      await withContext(config(), (ctx) => removeTeam(ctx, by(), name));
      print(`removed team team:${teamName(name)}`);
    });
  team
    .command('list')
    .description('list the teams with their members and how many crates each owns')
    .action(async () => {
      const teams = await withContext(config(), (ctx) => listTeams(ctx));
      if (teams.length === 0) print('no teams');
      for (const t of teams) {
        print(`${t.login}${t.description ? ` (${t.description})` : ''}: ${t.crates} crate(s); members: ${t.members.map((m) => m.login).join(', ') || 'none'}`);
      }
    });
  team
    .command('add-member <name> <login>')
    .description('add a user to a team')
    .action(async (name: string, login: string) => {
      await withContext(config(), (ctx) => addTeamMember(ctx, by(), name, login));
      print(`added ${login} to team:${teamName(name)}`);
    });
  team
    .command('remove-member <name> <login>')
    .description('remove a user from a team')
    .action(async (name: string, login: string) => {
      await withContext(config(), (ctx) => removeTeamMember(ctx, by(), name, login));
      print(`removed ${login} from team:${teamName(name)}`);
    });
}
