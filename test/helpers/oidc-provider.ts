import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
// @ts-expect-error oidc-provider ships no type declarations
import Provider from 'oidc-provider';
import type { Browser } from './web.js';
import type { LightMyRequestResponse } from 'fastify';

export type Person = { preferred_username?: string; email?: string; email_verified?: boolean; name?: string; groups?: string[] };

export const CLIENT_ID = 'wharf';
export const CLIENT_SECRET = 'a client secret of the test provider';

/**
 * A real OpenID Connect provider (oidc-provider) on 127.0.0.1. Its login and consent
 * interactions are answered at once for `nextLogin`, the person "typing" at the provider;
 * `people` can change between sign-ins (a group removed, an account deleted).
 */
export class TestOidcProvider {
  readonly people = new Map<string, Person>();
  nextLogin: string | null = null;
  /** Every authorization request's parameters, to check what Wharf asked for. */
  readonly authorizations: URLSearchParams[] = [];

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
  ) {}

  static async start(redirectUri: string): Promise<TestOidcProvider> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const self = new TestOidcProvider(server, issuer);
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const provider = new Provider(issuer, {
      clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] }],
      jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'provider-key', alg: 'RS256', use: 'sig' }] },
      cookies: { keys: ['test cookie key'] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username', 'groups'] },
      scopes: ['openid', 'offline_access', 'email', 'profile'],
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      pkce: { required: () => true },
      issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) => client.grantTypeAllowed('refresh_token'),
      findAccount: async (_ctx: unknown, sub: string) => {
        const person = self.people.get(sub);
        return person ? { accountId: sub, claims: async () => ({ sub, ...person }) } : undefined;
      },
    });
    const callback = provider.callback();
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.url?.startsWith('/auth?')) self.authorizations.push(new URL(req.url, issuer).searchParams);
      if (req.url?.startsWith('/interaction/')) {
        self.interact(provider, req, res).catch((err: unknown) => res.writeHead(500).end(String(err)));
        return;
      }
      callback(req, res);
    });
    return self;
  }

  private async interact(provider: any, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    const accountId = this.nextLogin;
    if (!accountId) {
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'nobody signed in' }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
    grant.addOIDCScope(String(details.params.scope));
    grant.addOIDCClaims(['email', 'email_verified', 'name', 'preferred_username', 'groups']);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/**
 * What a browser does between Wharf and a provider: follows the redirects, keeping the
 * provider's cookies, until it comes back to Wharf (`publicUrl`), whose answer is returned.
 */
export async function throughProvider(b: Browser, first: LightMyRequestResponse, publicUrl: string, jar = new Map<string, string>()): Promise<LightMyRequestResponse> {
  // A round trip started by a form answers with a page that goes on by itself (meta refresh).
  let location = (first.headers.location as string | undefined) ?? /http-equiv="refresh" content="0;url=([^"]+)"/.exec(first.body)?.[1]?.replaceAll('&amp;', '&');
  for (let hop = 0; hop < 20; hop++) {
    if (!location) throw new Error(`no redirect to follow (status ${first.statusCode}): ${first.body.slice(0, 300)}`);
    if (location.startsWith(publicUrl)) return b.get(location.slice(publicUrl.length));
    const res = await fetch(location, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    const next = res.headers.get('location');
    if (!next) throw new Error(`the provider answered ${res.status} without a redirect: ${(await res.text()).slice(0, 300)}`);
    location = new URL(next, location).href;
  }
  throw new Error('too many redirects');
}
