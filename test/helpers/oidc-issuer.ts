import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/**
 * A CI platform's OIDC issuer on 127.0.0.1: its discovery document and key set over plain http,
 * and tokens shaped like GitHub Actions' or GitLab CI's, signed with its keys (or with a key it
 * does not publish). It counts key-set reads, so tests can see refreshes.
 */
export class TestIssuer {
  jwksReads = 0;
  private readonly published: JWK[] = [];
  private readonly keys = new Map<string, PrivateKey>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<TestIssuer> {
    let issuer: TestIssuer | undefined;
    const server = createServer((req, res) => {
      const send = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.url === '/.well-known/openid-configuration') return send({ issuer: issuer!.url, jwks_uri: `${issuer!.url}/jwks` });
      if (req.url === '/jwks') {
        issuer!.jwksReads++;
        return send({ keys: issuer!.published });
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = new TestIssuer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    await issuer.addKey('key-1');
    return issuer;
  }

  /** A new signing key; published in the key set unless `publish` is false. */
  async addKey(kid: string, publish = true): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    this.keys.set(kid, privateKey);
    if (publish) this.published.push({ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' });
  }

  /** Takes a key out of the published key set (as an issuer does with a compromised one). */
  withdrawKey(kid: string): void {
    const at = this.published.findIndex((k) => k.kid === kid);
    if (at >= 0) this.published.splice(at, 1);
  }

  async sign(claims: Record<string, unknown>, options: { kid?: string; audience: string | string[]; expiresIn?: number; issuer?: string; issuedIn?: number }): Promise<string> {
    const kid = options.kid ?? 'key-1';
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(options.issuer ?? this.url)
      .setAudience(options.audience)
      .setIssuedAt(now + (options.issuedIn ?? 0))
      .setNotBefore(now)
      .setExpirationTime(now + (options.expiresIn ?? 300))
      .sign(this.keys.get(kid)!);
  }

  /** The claims of a GitHub Actions job of `owner/repo` running `workflow`. */
  github(owner: string, repo: string, workflow = 'release.yml', extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      repository: `${owner}/${repo}`,
      repository_owner: owner,
      repository_owner_id: '4242',
      workflow_ref: `${owner}/${repo}/.github/workflows/${workflow}@refs/tags/v1.0.1`,
      job_workflow_ref: `${owner}/${repo}/.github/workflows/${workflow}@refs/tags/v1.0.1`,
      ref: 'refs/tags/v1.0.1',
      sha: 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2',
      run_id: '42',
      event_name: 'push',
      ...extra,
    };
  }

  /** The claims of a GitLab CI job of `namespace/project` with CI file `path`. */
  gitlab(namespace: string, project: string, path = '.gitlab-ci.yml', extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      project_path: `${namespace}/${project}`,
      namespace_path: namespace,
      namespace_id: '77',
      ci_config_ref_uri: `gitlab.example.com/${namespace}/${project}//${path}@refs/heads/main`,
      ref_path: 'refs/heads/main',
      sha: '0123456789abcdef0123456789abcdef01234567',
      job_id: '302',
      pipeline_source: 'push',
      ...extra,
    };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
