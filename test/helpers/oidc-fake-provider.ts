import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export type Misbehaviour = 'none' | 'wrong-nonce' | 'expired' | 'unknown-key' | 'slow' | 'huge';

/**
 * A hand-made OpenID Connect provider on 127.0.0.1 whose token endpoint can misbehave on
 * purpose: an ID token with another nonce, one already expired, one signed by a key it does not
 * publish, an answer that never comes, or one too large. Authorization is granted at once.
 */
export class FakeOidcProvider {
  misbehave: Misbehaviour = 'none';
  jwksReads = 0;
  private readonly codes = new Map<string, { nonce: string; challenge: string }>();

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
  ) {}

  static async start(clientId: string): Promise<FakeOidcProvider> {
    const published = await generateKeyPair('RS256', { extractable: true });
    const hidden = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(published.publicKey)), kid: 'published', alg: 'RS256', use: 'sig' };
    let self: FakeOidcProvider;
    const server = createServer((req, res) => {
      const url = new URL(req.url!, self.issuer);
      const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (url.pathname === '/.well-known/openid-configuration') {
        return json({
          issuer: self.issuer,
          authorization_endpoint: `${self.issuer}/authorize`,
          token_endpoint: `${self.issuer}/token`,
          jwks_uri: `${self.issuer}/jwks`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
        });
      }
      if (url.pathname === '/jwks') {
        self.jwksReads++;
        return json({ keys: [jwk] });
      }
      if (url.pathname === '/authorize') {
        const code = randomBytes(16).toString('hex');
        self.codes.set(code, { nonce: url.searchParams.get('nonce')!, challenge: url.searchParams.get('code_challenge')! });
        const back = new URL(url.searchParams.get('redirect_uri')!);
        back.searchParams.set('code', code);
        back.searchParams.set('state', url.searchParams.get('state')!);
        return res.writeHead(302, { location: back.href }).end();
      }
      if (url.pathname === '/token') {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', async () => {
          const form = new URLSearchParams(body);
          const grant = self.codes.get(form.get('code') ?? '');
          self.codes.delete(form.get('code') ?? '');
          const verifier = form.get('code_verifier') ?? '';
          if (!grant || createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) {
            return res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_grant' }));
          }
          if (self.misbehave === 'slow') return; // never answers
          if (self.misbehave === 'huge') return json({ padding: 'x'.repeat(2 * 1024 * 1024) });
          const now = Math.floor(Date.now() / 1000);
          const key = self.misbehave === 'unknown-key' ? hidden.privateKey : published.privateKey;
          const idToken = await new SignJWT({ nonce: self.misbehave === 'wrong-nonce' ? 'another-nonce' : grant.nonce, preferred_username: 'gil' })
            .setProtectedHeader({ alg: 'RS256', kid: self.misbehave === 'unknown-key' ? 'hidden' : 'published' })
            .setIssuer(self.issuer)
            .setAudience(clientId)
            .setSubject('sub-gil')
            .setIssuedAt(self.misbehave === 'expired' ? now - 7200 : now)
            .setExpirationTime(self.misbehave === 'expired' ? now - 3600 : now + 300)
            .sign(key);
          return json({ access_token: randomBytes(16).toString('hex'), token_type: 'Bearer', expires_in: 300, id_token: idToken });
        });
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new FakeOidcProvider(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
