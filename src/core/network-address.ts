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
  // Alibaba Cloud's metadata service and Azure's host endpoint (WireServer) sit outside 169.254/16.
  if ((a === 100 && b === 100 && c === 100 && d === 200) || (a === 168 && b === 63 && c === 129 && d === 16)) return 'metadata';
  // 0.0.0.0/8 reaches this host on Linux.
  if (a === 127 || a === 0) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  // Shared address space (carrier NAT, and the addresses of overlay networks such as Tailscale's)
  // and the benchmarking range (used inside some VPNs and proxies): never the public internet.
  if ((a === 100 && b >= 64 && b <= 127) || (a === 198 && (b === 18 || b === 19))) return 'private';
  if (a === 169 && b === 254) return 'link-local';
  return 'public';
}

const v4Of = (high: number, low: number): number[] => [high >> 8, high & 0xff, low >> 8, low & 0xff];

function ipv6Class(ip: string): AddressClass {
  // addressClass only calls this for what node's isIP takes as IPv6, which parses.
  const groups = parseIpv6(ip) ?? [];
  // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible forms reach the IPv4 address.
  if (groups.slice(0, 5).every((g) => g === 0) && (groups[5] === 0xffff || groups[5] === 0)) {
    const v4 = [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff];
    if (groups[5] === 0xffff || v4.some((n, i) => i < 3 && n !== 0)) return ipv4Class(v4);
    return 'loopback'; // :: and ::1
  }
  const first = groups[0]!;
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address a gateway may forward to.
  if (first === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0)) return ipv4Class(v4Of(groups[6]!, groups[7]!));
  if (first === 0x64 && groups[1] === 0xff9b && groups[2] === 1) return 'private';
  if (first === 0x2002) return ipv4Class(v4Of(groups[1]!, groups[2]!));
  if (first === 0xfd00 && groups[1] === 0x0ec2 && groups.slice(2, 7).every((g) => g === 0) && groups[7] === 0x254) return 'metadata';
  if ((first & 0xfe00) === 0xfc00) return 'private';
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  return 'public';
}

/** Four decimal octets, no leading zeros (which some readers take for octal). */
export function parseIpv4(text: string): number[] | null {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return null;
  const octets = text.split('.');
  if (octets.some((o) => o.length > 1 && o.startsWith('0'))) return null;
  const values = octets.map(Number);
  return values.every((v) => v <= 255) ? values : null;
}

/** Eight 16-bit groups, or null. Accepts `::` compression, a trailing dotted IPv4 part and a `%zone`. */
export function parseIpv6(text: string): number[] | null {
  const zone = text.indexOf('%');
  // A zone names the local interface of a link-local address; it is not part of the address.
  const bare = zone >= 0 ? (zone < text.length - 1 ? text.slice(0, zone) : '') : text;
  if (bare.length === 0 || bare.length > 45 || !/^[0-9a-fA-F:.]+$/.test(bare)) return null;
  const halves = bare.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const parts = halves.length === 2 ? tail : head;
  let last: number[] = [];
  if (parts.length > 0 && parts[parts.length - 1]!.includes('.')) {
    const v4 = parseIpv4(parts.pop()!);
    if (!v4) return null;
    last = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
  }
  const groups = (list: string[]) => (list.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g)) ? list.map((g) => parseInt(g, 16)) : null);
  const front = groups(head);
  const back = groups(tail);
  if (!front || !back) return null;
  if (halves.length === 1) {
    const all = [...front, ...last];
    return all.length === 8 ? all : null;
  }
  const given = front.length + back.length + last.length;
  // `::` stands for at least one group of zeros.
  if (given > 7) return null;
  return [...front, ...Array<number>(8 - given).fill(0), ...back, ...last];
}
