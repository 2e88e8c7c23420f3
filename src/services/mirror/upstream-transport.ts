import type { AddressClass } from '../../core/network-address.js';
import { addressClass } from '../../core/network-address.js';
import { type Resolve, SafeTransport, systemResolve } from '../outbound/safe-transport.js';

export { RefusedTarget, type Resolve, systemResolve, type UpstreamAnswer } from '../outbound/safe-transport.js';

/**
 * The mirror's transport: public addresses, plus loopback, private, link-local or metadata
 * addresses only in the class the configured upstream itself resolves to (an intranet registry,
 * or one on this host).
 */
export class UpstreamTransport extends SafeTransport {
  constructor(upstreamUrl: string, resolve: Resolve = systemResolve) {
    super(async () => {
      const host = new URL(upstreamUrl).hostname;
      const literal = addressClass(host);
      const addresses = literal ? [literal] : (await resolve(host)).map((a) => addressClass(a.address) ?? 'public');
      return new Set<AddressClass>(['public', ...addresses]);
    }, resolve);
  }
}
