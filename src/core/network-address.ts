import { isIP } from 'node:net';

/**
 * What an IP address reaches, for the mirror's rule on where the upstream may send Wharf:
 * `public` anywhere; the rest only when the configured upstream itself is in the same class.
 * The metadata address of cloud hosts (169.254.169.254, fd00:ec2::254) is a class of its own,
 * so no upstream but that address reaches it.
 */
export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'metadata';

/** The class of an IPv4 or IPv6 address (brackets allowed); null when `address` is not one. */
export function addressClass(address: string): AddressClass | null {
  const ip = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const version = isIP(ip);
  if (version === 4) return ipv4Class(ip.split('.').map(Number));
  if (version === 6) return ipv6Class(ip);
  return null;
}

function ipv4Class([a = 0, b = 0, c = 0, d = 0]: number[]): AddressClass {
  if (a === 169 && b === 254 && c === 169 && d === 254) return 'metadata';
  // 0.0.0.0/8 reaches this host on Linux.
  if (a === 127 || a === 0) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 169 && b === 254) return 'link-local';
  return 'public';
}

function ipv6Class(ip: string): AddressClass {
  const groups = expandIpv6(ip);
  // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible forms reach the IPv4 address.
  if (groups.slice(0, 5).every((g) => g === 0) && (groups[5] === 0xffff || groups[5] === 0)) {
    const v4 = [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff];
    if (groups[5] === 0xffff || v4.some((n, i) => i < 3 && n !== 0)) return ipv4Class(v4);
    return 'loopback'; // :: and ::1
  }
  const first = groups[0]!;
  if (first === 0xfd00 && groups[1] === 0x0ec2 && groups.slice(2, 7).every((g) => g === 0) && groups[7] === 0x254) return 'metadata';
  if ((first & 0xfe00) === 0xfc00) return 'private';
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  return 'public';
}

/** The eight 16-bit groups of a valid IPv6 address (a trailing dotted IPv4 part included). */
function expandIpv6(ip: string): number[] {
  let text = ip.split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = part(head);
  const right = part(tail);
  return tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}
