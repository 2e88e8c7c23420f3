import { badRequest, conflict, notFound } from '../../core/errors.js';
import {
  deleteTeam,
  deleteTeamMember,
  findTeamByName,
  insertTeam,
  insertTeamMember,
  isTeamMember,
  listTeamMembers,
  listTeamsWithCounts,
  type TeamRow,
} from '../../db/repositories/team.repository.js';
import { findUserByLogin } from '../../db/repositories/user.repository.js';
import { recordAudit } from '../audit.service.js';
import type { ServiceContext } from '../context.js';
import type { Operator } from '../token.service.js';
import { TEAM_LOGIN_PREFIX } from '../user-doc.js';

/** Lowercase letters, digits, `-` and `_`, starting with a letter or digit; at most 64. */
const TEAM_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** A team's name as given, with or without its `team:` prefix, in the form it is stored. */
export function teamName(raw: string): string {
  const trimmed = raw.trim().toLowerCase();
  const name = trimmed.startsWith(TEAM_LOGIN_PREFIX) ? trimmed.slice(TEAM_LOGIN_PREFIX.length) : trimmed;
  if (!TEAM_NAME.test(name)) throw badRequest(`\`${raw}\` is not a team name: lowercase letters, digits, \`-\` and \`_\`, at most 64, starting with a letter or digit`);
  return name;
}

async function requireTeam(ctx: ServiceContext, raw: string): Promise<TeamRow> {
  const team = await findTeamByName(ctx.db, teamName(raw));
  if (!team) throw notFound(`no team named \`${TEAM_LOGIN_PREFIX}${teamName(raw)}\``);
  return team;
}

async function requireLogin(ctx: ServiceContext, login: string) {
  const user = await findUserByLogin(ctx.db, login.trim());
  if (!user) throw notFound(`no user with the login \`${login.trim()}\``);
  return user;
}

const auditOf = (by: Operator, via: Record<string, unknown>) => ({ userId: by.actor?.userId ?? null, tokenId: by.actor?.token?.id ?? null, detail: { ...via, ...(by.via ? { via: by.via } : {}) } });

/** Creates a team (administrators only: callers check). */
export async function createTeam(ctx: ServiceContext, by: Operator, input: { name: string; description?: string | null }): Promise<TeamRow> {
  const name = teamName(input.name);
  const description = (input.description ?? '').trim();
  if (description.length > 200) throw badRequest('a team description has at most 200 characters');
  if (await findTeamByName(ctx.db, name)) throw conflict(`the team \`${TEAM_LOGIN_PREFIX}${name}\` already exists`);
  return ctx.db.transaction().execute(async (tx) => {
    const id = await insertTeam(tx, { name, description: description || null, created_at: ctx.clock.now().toISOString() });
    await recordAudit(tx, ctx.clock, { action: 'team.create', ...auditOf(by, { team: name }) });
    return (await findTeamByName(tx, name))!;
  });
}

/** Removes a team: its members lose the crates it owned. */
export async function removeTeam(ctx: ServiceContext, by: Operator, raw: string): Promise<void> {
  const team = await requireTeam(ctx, raw);
  await ctx.db.transaction().execute(async (tx) => {
    await deleteTeam(tx, team.id);
    await recordAudit(tx, ctx.clock, { action: 'team.remove', ...auditOf(by, { team: team.name }) });
  });
}

export async function addTeamMember(ctx: ServiceContext, by: Operator, rawTeam: string, login: string): Promise<void> {
  const team = await requireTeam(ctx, rawTeam);
  const user = await requireLogin(ctx, login);
  if (await isTeamMember(ctx.db, team.id, user.id)) throw conflict(`\`${user.login}\` is already a member of \`${TEAM_LOGIN_PREFIX}${team.name}\``);
  await ctx.db.transaction().execute(async (tx) => {
    await insertTeamMember(tx, { team_id: team.id, user_id: user.id, created_at: ctx.clock.now().toISOString() });
    await recordAudit(tx, ctx.clock, { action: 'team.member_add', ...auditOf(by, { team: team.name, login: user.login }) });
  });
}

export async function removeTeamMember(ctx: ServiceContext, by: Operator, rawTeam: string, login: string): Promise<void> {
  const team = await requireTeam(ctx, rawTeam);
  const user = await requireLogin(ctx, login);
  await ctx.db.transaction().execute(async (tx) => {
    if (!(await deleteTeamMember(tx, team.id, user.id))) throw notFound(`\`${user.login}\` is not a member of \`${TEAM_LOGIN_PREFIX}${team.name}\``);
    await recordAudit(tx, ctx.clock, { action: 'team.member_remove', ...auditOf(by, { team: team.name, login: user.login }) });
  });
}

export interface TeamView {
  name: string;
  login: string;
  description: string | null;
  createdAt: string;
  crates: number;
  members: Array<{ login: string; name: string | null }>;
}

/** Every team with its members and the number of crates it owns. */
export async function listTeams(ctx: ServiceContext): Promise<TeamView[]> {
  const out: TeamView[] = [];
  for (const t of await listTeamsWithCounts(ctx.db)) {
    const members = (await listTeamMembers(ctx.db, t.id)).map((m) => ({ login: m.login, name: m.name }));
    out.push({ name: t.name, login: `${TEAM_LOGIN_PREFIX}${t.name}`, description: t.description, createdAt: t.created_at, crates: t.crates, members });
  }
  return out;
}
