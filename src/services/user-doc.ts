import type { UserRow } from '../db/repositories/user.repository.js';
import type { ServiceContext } from './context.js';

/** A user as crates.io describes one (Wharf has no avatars: `avatar` is null). */
export function userDoc(ctx: ServiceContext, u: Pick<UserRow, 'id' | 'login' | 'name' | 'created_at'>) {
  return {
    id: u.id,
    login: u.login,
    name: u.name,
    avatar: null,
    url: userUrl(ctx, u.login),
    created_at: u.created_at,
    github_username_matches: false,
  };
}

export type UserDoc = ReturnType<typeof userDoc>;

/** The user's page on this registry: crates.io's `url` points at a profile too. */
export const userUrl = (ctx: ServiceContext, login: string) => `${ctx.config.publicUrl}/users/${encodeURIComponent(login)}`;

/** A user owner as crates.io's owner lists show one. */
export function ownerDoc(ctx: ServiceContext, u: Pick<UserRow, 'id' | 'login' | 'name'>) {
  return { id: u.id, login: u.login, name: u.name, kind: 'user', url: userUrl(ctx, u.login), avatar: null };
}

/** Teams are named `team:<name>` wherever an owner's login goes (crates.io: `github:org:team`). */
export const TEAM_LOGIN_PREFIX = 'team:';

/** A team owner as crates.io's owner lists show one; Wharf has no team page or avatar. */
export function teamOwnerDoc(t: { id: number; name: string; description: string | null }) {
  return { id: t.id, login: `${TEAM_LOGIN_PREFIX}${t.name}`, name: t.description ?? t.name, kind: 'team', url: null, avatar: null };
}
