import { badRequest, conflict } from '../core/errors.js';
import { findUserByLogin, insertUser, listAdminLogins, type UserRow } from '../db/repositories/user.repository.js';
import { isoNow, type ServiceContext } from './context.js';
import { checkEmail } from './mail/email-verification.service.js';

const LOGIN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,38}$/;

export interface NewUser {
  login: string;
  name?: string | null;
  email?: string | null;
  isAdmin?: boolean;
}

export async function createUser(ctx: ServiceContext, input: NewUser): Promise<UserRow> {
  if (!LOGIN.test(input.login)) {
    throw badRequest(`invalid login \`${input.login}\`: 1-39 letters, digits, \`_\`, \`.\` or \`-\`, starting with a letter or digit`);
  }
  const email = input.email != null ? checkEmail(input.email) : null;
  if (await findUserByLogin(ctx.db, input.login)) throw conflict(`a user with the login \`${input.login}\` already exists`);
  return insertUser(ctx.db, {
    login: input.login,
    name: input.name ?? null,
    email,
    isAdmin: input.isAdmin ?? false,
    createdAt: isoNow(ctx.clock),
  });
}

/** Whom to ask for an account when sign-up is closed: the registry's administrators, a few by name. */
export async function accountContacts(ctx: ServiceContext): Promise<string> {
  const admins = await listAdminLogins(ctx.db, 6);
  if (admins.length === 0) return 'ask whoever runs this registry for an account';
  const named = admins.slice(0, 5).join(', ');
  return `ask an administrator for an account (${admins.length > 5 ? `${named} and others` : named})`;
}
