import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { insertCredential } from '../../src/db/repositories/factor.repository.js';
import { type Browser, createWebApp, csrfOf, type WebTestApp } from '../helpers/web.js';

const ORIGIN = 'http://wharf.test';
const b64url = (b: Buffer | Uint8Array) => Buffer.from(b).toString('base64url');

/** A passkey in software: an ES256 key, answering with user presence and verification. */
class SoftPasskey {
  readonly id = b64url(randomBytes(16));
  private readonly privateKey: KeyObject;
  readonly cosePublicKey: string;
  private counter = 0;

  constructor() {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    const jwk = pair.publicKey.export({ format: 'jwk' });
    const cose = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]);
    this.cosePublicKey = b64url(isoCBOR.encode(cose));
  }

  answer(challenge: string) {
    this.counter += 1;
    const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge, origin: ORIGIN, crossOrigin: false }));
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    const authData = Buffer.concat([createHash('sha256').update('wharf.test').digest(), Buffer.from([0x05]), counter]);
    const signature = sign('sha256', Buffer.concat([authData, createHash('sha256').update(clientData).digest()]), this.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: { clientDataJSON: b64url(clientData), authenticatorData: b64url(authData), signature: b64url(signature) },
      clientExtensionResults: {},
    };
  }
}

/**
 * With `oidc_only`, the provider decides at every sign-in who may come in (a person who left is
 * refused there at once). A passkey alone is a sign-in on Wharf's side, like a password: only the
 * break-glass admins may use it.
 */
describe('passkey sign-in under oidc_only', () => {
  let t: WebTestApp;
  afterEach(() => t.close());

  const passkeySignIn = async (b: Browser, key: SoftPasskey) => {
    const csrf = csrfOf((await b.get('/login?local')).body);
    const json = async (url: string, body: unknown) => {
      const cookie = [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const res = await t.app.inject({ method: 'POST', url, headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      for (const line of [res.headers['set-cookie'] ?? []].flat()) {
        const [pair] = String(line).split(';');
        b.cookies.set(pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1));
      }
      return res;
    };
    const options = await json('/login/passkey/options', {});
    expect(options.statusCode).toBe(200);
    return json('/login/passkey', { response: key.answer((options.json() as { challenge: string }).challenge) });
  };

  const withPasskey = async (login: string) => {
    const user = await t.account(login);
    const key = new SoftPasskey();
    await insertCredential(t.runtime.ctx.db, {
      user_id: user.id,
      credential_id: key.id,
      public_key: key.cosePublicKey,
      counter: 0,
      transports: '[]',
      name: 'soft',
      created_at: new Date().toISOString(),
    });
    return key;
  };

  it('signs in with a passkey alone when passwords are allowed (the software passkey works)', async () => {
    t = await createWebApp({});
    const key = await withPasskey('alice');
    const res = await passkeySignIn(t.browser(), key);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ location: '/me' });
  });

  it('refuses a passkey alone for everyone but the break-glass admins', async () => {
    t = await createWebApp({ oidcIssuer: 'http://127.0.0.1:9/unused', oidcClientId: 'wharf', oidcClientSecret: 'x', oidcOnly: true, oidcBreakGlassAdmins: ['root'] });
    const alice = await withPasskey('alice');
    const b = t.browser();
    const refused = await passkeySignIn(b, alice);
    expect(refused.statusCode).toBe(403);
    expect(b.session).toBeUndefined();
    const res = await passkeySignIn(t.browser(), await withPasskey('root'));
    expect(res.statusCode).toBe(200);
  });
});
