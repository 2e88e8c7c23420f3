import { parseIpv4, parseIpv6 } from './network-address.js';
/**
 * The network a client address belongs to, as the sign-in and sign-up limits count clients.
 *
 * An IPv4 address is one client: it stays itself. An IPv6 host is routinely given a whole /64
 * (and picks a new address in it at will, for privacy or to dodge a limit), so every address of
 * one /64 counts as one client. An IPv4 address written as IPv6 (`::ffff:a.b.c.d`, what a
 * dual-stack socket reports) is the IPv4 address.
 *
 * Results: `203.0.113.9`, `2001:0db8:0000:0001::/64` (expanded, lowercase), or `unparsed` for
 * anything that is not an address. All malformed input shares that one key, so that varying the
 * garbage a proxy forwards cannot mint fresh counters; every key is at most 24 characters.
 */
export function clientNetwork(address: string): string {
  const v4 = parseIpv4(address);
  if (v4) return v4.join('.');
  const v6 = parseIpv6(address);
  if (!v6) return UNPARSED;
  const mapped = v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff;
  if (mapped) return [v6[6]! >> 8, v6[6]! & 0xff, v6[7]! >> 8, v6[7]! & 0xff].join('.');
  return `${v6
    .slice(0, 4)
    .map((g) => g.toString(16).padStart(4, '0'))
    .join(':')}::/64`;
}

export const UNPARSED = 'unparsed';


