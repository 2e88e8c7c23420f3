import { unauthorized } from '../core/errors.js';
import { findUserById, findUserByLogin } from '../db/repositories/user.repository.js';
import type { Actor } from './actor.js';
import type { ServiceContext } from './context.js';
import { hashPassword, needsRehash, PASSWORD_MAX_LENGTH, verifyAgainstNothing, verifyPassword } from './password.service.js';
import type { LoginThrottle } from './login-throttle.js';

/** A user an identity provider vouches for. Whether they may sign in (locked?) is decided later, for every provider alike. */
export interface VerifiedUser {
  id: number;
  login: string;
  locked_at: string | null;
}

/** Who is asking, as far as rate limits care. */
export interface ClientInfo {
  address: string;
}

/**
 * Something that can tell who a browser user is. Passwords are the first provider. An OIDC or
 * OAuth provider would add a redirect step of its own and implement authenticate() for the
 * callback (code and state in, a linked user out); the session is then started by
 * account.service's startSession(), which never knows which provider vouched.
 */
export interface IdentityProvider<Credentials> {
  /** Recorded in the audit log of each sign-in: `password`, later e.g. `oidc:company-sso`. */
  readonly id: string;
  authenticate(ctx: ServiceContext, credentials: Credentials, client: ClientInfo): Promise<VerifiedUser>;
}

export interface PasswordCredentials {
  login: string;
  password: string;
}

const WRONG = 'wrong login or password';

export class PasswordProvider implements IdentityProvider<PasswordCredentials> {
  readonly id = 'password';

  constructor(private readonly throttle: LoginThrottle) {}

  async authenticate(ctx: ServiceContext, { login, password }: PasswordCredentials, client: ClientInfo): Promise<VerifiedUser> {
    // Set inside the check (declared this way so the compiler does not assume they stay unset).
    let user = undefined as Awaited<ReturnType<typeof findUserByLogin>>;
    let hash = null as string | null;
    const ok = await this.throttle.check(login, client.address, async () => {
      user = login.length <= 100 ? await findUserByLogin(ctx.db, login) : undefined;
      hash = user?.password_hash ?? null;
      // Unknown logins and accounts without a password cost the same time as a wrong password.
      return hash !== null && password.length <= PASSWORD_MAX_LENGTH * 4 ? verifyPassword(password, hash) : verifyAgainstNothing(password);
    });
    if (!ok || !user || hash === null) throw unauthorized(WRONG);
    if (needsRehash(hash)) {
      // The cost was raised since this hash was made: redo it now that the password is at hand.
      await ctx.db.updateTable('users').set({ password_hash: await hashPassword(password) }).where('id', '=', user.id).execute();
    }
    return user;
  }

  /**
   * Whether a signed-in user's password is the one given (a password change, a re-authentication
   * before a sensitive action), under the same limits as sign-in, since whoever holds a stolen
   * session would guess here.
   */
  async confirm(ctx: ServiceContext, actor: Actor, password: string, client: ClientInfo): Promise<boolean> {
    return this.throttle.check(actor.login, client.address, async () => {
      const hash = (await findUserById(ctx.db, actor.userId))?.password_hash ?? null;
      return hash !== null && password.length <= PASSWORD_MAX_LENGTH * 4 ? verifyPassword(password, hash) : verifyAgainstNothing(password);
    });
  }
}
