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

/** Four decimal octets, no leading zeros (which some readers take for octal). */
function parseIpv4(text: string): number[] | null {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return null;
  const octets = text.split('.');
  if (octets.some((o) => o.length > 1 && o.startsWith('0'))) return null;
  const values = octets.map(Number);
  return values.every((v) => v <= 255) ? values : null;
}

/** Eight 16-bit groups, or null. Accepts `::` compression, a trailing dotted IPv4 part and a `%zone`. */
function parseIpv6(text: string): number[] | null {
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
