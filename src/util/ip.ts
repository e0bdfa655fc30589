import { isIP } from 'node:net';

/**
 * IP addresses and CIDR blocks, IPv4 and IPv6, as numbers: enough to ask whether an address or a
 * block lies inside another block. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) counts as the
 * IPv4 address it carries, so it cannot slip past an IPv4 block.
 */

/**
 * Whether the text is an address as Go's net.ParseIP reads it, which is what CoreDNS and the API
 * server will do with an address the syncer hands them: no leading zeros, no IPv6 zone (`%eth0`
 * names an interface of this pod, not one they have). Parsing for comparison (parseIP) is laxer.
 */
export const isStrictIPv4 = (s: string): boolean => isIP(s) === 4;
export const isStrictIPv6 = (s: string): boolean => isIP(s) === 6 && !s.includes('%');
export const isStrictIP = (s: string): boolean => isStrictIPv4(s) || isStrictIPv6(s);

export interface IP {
  v6: boolean;
  value: bigint;
}

export interface Cidr {
  v6: boolean;
  /** The block's first address (host bits cleared). */
  base: bigint;
  prefix: number;
}

/*
 * The parsers below read what the Kubernetes API server accepts, which is laxer than
 * isStrictIP: with StrictIPCIDRValidation off (the default through 1.34 at least) it validates
 * with Go's old "sloppy" parser, which reads leading zeros as decimal (`0010.0.0.1` is 10.0.0.1,
 * not octal), any number of them, in octets, in IPv6 groups (`::00001`) and in a CIDR's prefix
 * (`10.0.0.0/0008`). kube-proxy and the network plugins then read such text the same way, so an
 * address or block checked here must be read as they read it, or it passes a check as "not an
 * address" and reaches the host as one.
 */

/** A decimal number with any leading zeros, read as Go's dtoi does (digits only). */
const decimal = (text: string): number | undefined =>
  /^\d+$/.test(text) ? Number(text.replace(/^0+(?=\d)/, '').slice(0, 8)) : undefined;

/** The four octets of a dotted-quad IPv4 address, or undefined. */
export function parseIPv4(ip: string): number[] | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  const octets = parts.map(decimal);
  return octets.every((o) => o !== undefined && o <= 255) ? (octets as number[]) : undefined;
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a trailing dotted quad read), or undefined. */
export function parseIPv6(ip: string): number[] | undefined {
  if (!ip.includes(':')) return undefined;
  let text = ip.toLowerCase();
  // A trailing dotted quad (::ffff:169.254.169.254) is the last two groups.
  const quad = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const v4 = parseIPv4(quad[1]!);
    if (!v4) return undefined;
    const group = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    text = `${text.slice(0, quad.index + 1)}${group(v4[0]!, v4[1]!)}:${group(v4[2]!, v4[3]!)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  // Leading zeros beyond four digits too (`00001`), as the API server reads them.
  if (![...head, ...rest].every((g) => /^0*[0-9a-f]{1,4}$/.test(g))) return undefined;
  const parsed = (gs: string[]) => gs.map((g) => parseInt(g, 16));
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...parsed(head), ...new Array<number>(missing).fill(0), ...parsed(rest)];
}

/** An address as a number; IPv4-mapped IPv6 addresses as their IPv4 address. Undefined when malformed. */
export function parseIP(ip: string): IP | undefined {
  const v4 = parseIPv4(ip);
  if (v4) return { v6: false, value: v4.reduce((n, o) => (n << 8n) | BigInt(o), 0n) };
  const v6 = parseIPv6(ip);
  if (!v6) return undefined;
  if (v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff)
    return { v6: false, value: (BigInt(v6[6]!) << 16n) | BigInt(v6[7]!) };
  return { v6: true, value: v6.reduce((n, g) => (n << 16n) | BigInt(g), 0n) };
}

/**
 * The IPv4 address an IPv6 address carries by a standard translation, which a translator or relay on
 * the way sends packets to: NAT64's well-known prefix 64:ff9b::/96 (RFC 6052; an IPv6-only cluster's
 * gateway reaches private IPv4 addresses through it) and 6to4's 2002::/16 (RFC 3056). Undefined for
 * any other address. (IPv4-mapped addresses are read as IPv4 by parseIP already.)
 */
export function embeddedIPv4(ip: string): string | undefined {
  const v6 = parseIPv6(ip);
  if (!v6) return undefined;
  const quad = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  if (v6[0] === 0x64 && v6[1] === 0xff9b && v6.slice(2, 6).every((g) => g === 0)) return quad(v6[6]!, v6[7]!);
  if (v6[0] === 0x2002) return quad(v6[1]!, v6[2]!);
  return undefined;
}

/**
 * One key per address, whatever its spelling (`2600:1F14::5`, `2600:1f14:0:0:0:0:0:5`, an IPv4
 * address mapped into IPv6, leading zeros): the API server may keep an address as the tenant wrote
 * it, so addresses are compared by value. Undefined when it is no IP.
 */
export function ipKey(ip: string): string | undefined {
  const address = parseIP(ip);
  return address && `${address.v6 ? 6 : 4}/${address.value.toString(16)}`;
}

/** An index key for what may be an IP address: its ipKey, or the text itself when it is no IP. */
export const ipIndexKey = (text: string): string => ipKey(text) ?? text;

/** Whether two strings are the same IP address (see ipKey). */
export const sameIP = (a: string, b: string): boolean => {
  const key = ipKey(a);
  return key !== undefined && key === ipKey(b);
};

const bits = (v6: boolean) => (v6 ? 128 : 32);

/** `address/prefix` as a block (host bits cleared), or undefined when malformed. */
export function parseCidr(cidr: string): Cidr | undefined {
  const slash = cidr.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIP(cidr.slice(0, slash));
  const prefixLength = decimal(cidr.slice(slash + 1));
  if (!ip || prefixLength === undefined) return undefined;
  // A mapped IPv4 address with a v6 prefix (::ffff:10.0.0.0/104) keeps its v4 meaning.
  const mapped = !ip.v6 && cidr.includes(':');
  const prefix = prefixLength - (mapped ? 96 : 0);
  if (prefix < 0 || prefix > bits(ip.v6)) return undefined;
  return { v6: ip.v6, base: ip.value & mask(ip.v6, prefix), prefix };
}

function mask(v6: boolean, prefix: number): bigint {
  const width = bits(v6);
  return ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - prefix)) - 1n);
}

/** True when the address lies in the block (never across families). */
export function cidrContainsIP(block: Cidr, ip: IP): boolean {
  return block.v6 === ip.v6 && (ip.value & mask(block.v6, block.prefix)) === block.base;
}

/** True when `inner` lies wholly in `outer` (equal blocks included; never across families). */
export function cidrContainsCidr(outer: Cidr, inner: Cidr): boolean {
  return (
    outer.v6 === inner.v6 &&
    outer.prefix <= inner.prefix &&
    (inner.base & mask(outer.v6, outer.prefix)) === outer.base
  );
}

/** The block in its usual text form (`10.0.0.0/8`, `fc00::/7`). */
export function formatCidr(block: Cidr): string {
  if (!block.v6) {
    const octets = [24n, 16n, 8n, 0n].map((s) => Number((block.base >> s) & 0xffn));
    return `${octets.join('.')}/${block.prefix}`;
  }
  const groups = [...Array(8).keys()].map((i) => Number((block.base >> BigInt(112 - 16 * i)) & 0xffffn));
  // The longest run of zero groups (two or more) becomes `::`.
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  const text =
    best.at < 0 ? hex(groups) : `${hex(groups.slice(0, best.at))}::${hex(groups.slice(best.at + best.len))}`;
  return `${text}/${block.prefix}`;
}
