import type { Config } from '../../config/config.js';
import type { TrustedIssuer } from '../../config/trusted-issuers.js';
import type { Clock } from '../context.js';
import { IssuerClient, type IssuerClientOptions } from './issuer-client.js';

/** One client (and its cached keys) per configured issuer, kept for the life of the process. */
export class TrustpubIssuers {
  private readonly clients = new Map<string, IssuerClient>();

  constructor(config: Pick<Config, 'trustedIssuers'>, clock: Clock, options: IssuerClientOptions = {}) {
    for (const issuer of config.trustedIssuers) this.clients.set(issuer.url, new IssuerClient(issuer, clock, options));
  }

  /** The client of the issuer a token names in `iss`, compared exactly; undefined when it is not trusted. */
  get(iss: string): IssuerClient | undefined {
    return this.clients.get(iss);
  }

  get list(): TrustedIssuer[] {
    return [...this.clients.values()].map((c) => c.issuer);
  }
}
