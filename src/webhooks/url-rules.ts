// Which receiver URLs a subscription may name (docs/callbacks.md), as pure functions. In production a
// receiver is a public https endpoint: port 443 (or one CALLBACK_ALLOWED_PORTS names), not localhost,
// and not an IP literal in any non-public range, in whatever spelling (the URL parser normalises IPv4
// spellings such as 2130706433, 0x7f.1, 0177.0.0.1 and 127.1; IPv6 forms that embed an IPv4 address are
// judged by that address). The ranges follow IANA's IPv4 and IPv6 special-purpose address registries.

export const MAX_URL_LENGTH = 2048;
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const NON_PUBLIC_ADDRESS = "Must not be an IP address in a private, loopback, link-local, multicast or other non-public range.";

/**
 * Why `raw` cannot be a receiver URL, or null when it can. `production` refuses what only a local
 * receiver may be; `allowedPorts` are ports besides 443 that production accepts.
 */
export function receiverUrlProblem(raw: string, production: boolean, allowedPorts: readonly number[] = []): string | null {
  if (raw.length > MAX_URL_LENGTH) return `Must be at most ${MAX_URL_LENGTH} characters.`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "Must be an absolute URL.";
  }
  const local = LOCAL_HOSTS.has(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && local && !production)) {
    return production ? "Must use https." : "Must use https (http only to localhost, 127.0.0.1 or [::1]).";
  }
  if (url.username !== "" || url.password !== "") return "Must not contain user info.";
  if (!production) return null;
  if (isLocalhost(url.hostname)) return "Must not be localhost.";
  // The hostname is the parser's: an IPv4 literal in dotted decimal, an IPv6 one in brackets and hex.
  if (isNonPublicAddress(url.hostname)) return NON_PUBLIC_ADDRESS;
  // An empty port is the scheme's default (the parser drops an explicit :443).
  if (url.port !== "" && !allowedPorts.includes(Number(url.port))) {
    return allowedPorts.length > 0 ? `Must use port 443 or one of ${allowedPorts.join(", ")}.` : "Must use port 443.";
  }
  return null;
}

/** CALLBACK_ALLOWED_PORTS: a comma-separated list of ports (1-65535) besides 443; anything else in it is ignored. */
export function allowedPortsOf(value: string | undefined): number[] {
  return (value ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter((part) => /^\d{1,5}$/.test(part))
    .map(Number)
    .filter((port) => port >= 1 && port <= 65535);
}

/** `localhost` and every name under it (RFC 6761), also written with trailing dots. */
export function isLocalhost(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.+$/, "");
  return name === "localhost" || name.endsWith(".localhost");
}

/** True for an IPv4 literal or a [bracketed] IPv6 literal that is not a public unicast address. */
export function isNonPublicAddress(hostname: string): boolean {
  const v4 = parseIpv4(hostname);
  if (v4 !== null) return isNonPublicIpv4(v4);
  if (!hostname.startsWith("[") || !hostname.endsWith("]")) return false;
  const v6 = parseIpv6(hostname.slice(1, -1));
  return v6 !== null && isNonPublicIpv6(v6);
}

// ── IPv4 ───────────────────────────────────────────────────────────────────────────────────────

/** IPv4 ranges that are not public unicast: IANA's special-purpose registry, multicast and reserved. */
const IPV4_NON_PUBLIC: readonly (readonly [string, number])[] = [
  ["0.0.0.0", 8], // "this network": reaches the local host
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // shared address space (carrier-grade NAT)
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local (cloud metadata services)
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation (TEST-NET-1)
  ["192.88.99.0", 24], // 6to4 relay anycast (deprecated)
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation (TEST-NET-2)
  ["203.0.113.0", 24], // documentation (TEST-NET-3)
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, with 255.255.255.255 (limited broadcast)
];
const IPV4_RANGES = IPV4_NON_PUBLIC.map(([address, bits]) => ({ network: toUint32(parseIpv4(address)!), bits }));

export function isNonPublicIpv4(address: readonly number[]): boolean {
  const n = toUint32(address);
  return IPV4_RANGES.some(({ network, bits }) => n >>> (32 - bits) === network >>> (32 - bits));
}

function toUint32([a, b, c, d]: readonly number[]): number {
  return ((a! << 24) | (b! << 16) | (c! << 8) | d!) >>> 0;
}

/** Four octets of a dotted-decimal IPv4 address (the URL parser's serialisation), or null. */
function parseIpv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.map(Number);
}

// ── IPv6 ───────────────────────────────────────────────────────────────────────────────────────

/**
 * IPv6 ranges that are not public unicast (IANA's special-purpose registry, and the space outside
 * 2000::/3 that is not global unicast). Forms that embed an IPv4 address are judged by it (embeddedIpv4).
 */
const IPV6_NON_PUBLIC: readonly (readonly [string, number])[] = [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["64:ff9b:1::", 48], // local-use IPv4/IPv6 translation (RFC 8215): whatever it embeds
  ["100::", 64], // discard-only
  ["2001::", 23], // IETF protocol assignments: Teredo 2001::/32 (whatever it embeds), benchmarking, ORCHID…
  ["2001:db8::", 32], // documentation
  ["3fff::", 20], // documentation
  ["5f00::", 16], // segment routing (SRv6) identifiers
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
];
const IPV6_RANGES = IPV6_NON_PUBLIC.map(([address, bits]) => ({ network: parseIpv6(address)!, bits }));
const GLOBAL_UNICAST = { network: parseIpv6("2000::")!, bits: 3 };

export function isNonPublicIpv6(groups: readonly number[]): boolean {
  if (IPV6_RANGES.some((range) => inPrefix(groups, range))) return true;
  const v4 = embeddedIpv4(groups);
  if (v4 !== null) return isNonPublicIpv4(v4);
  return !inPrefix(groups, GLOBAL_UNICAST);
}

/**
 * The IPv4 address an IPv6 address stands for: IPv4-compatible ::a.b.c.d, IPv4-mapped ::ffff:a.b.c.d,
 * IPv4-translated ::ffff:0:a.b.c.d, NAT64 64:ff9b::a.b.c.d (RFC 6052) and 6to4 2002:aabb:ccdd::/48.
 */
export function embeddedIpv4(groups: readonly number[]): number[] | null {
  const [a, b, c, d, e, f, g, h] = groups as [number, number, number, number, number, number, number, number];
  const last32 = [g >> 8, g & 0xff, h >> 8, h & 0xff];
  if (a === 0 && b === 0 && c === 0 && d === 0) {
    if (e === 0 && (f === 0 || f === 0xffff)) return last32; // compatible, mapped
    if (e === 0xffff && f === 0) return last32; // translated
  }
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) return last32; // NAT64, well-known prefix
  if (a === 0x2002) return [b >> 8, b & 0xff, c >> 8, c & 0xff]; // 6to4
  return null;
}

function inPrefix(groups: readonly number[], { network, bits }: { network: readonly number[]; bits: number }): boolean {
  for (let i = 0; i < 8 && bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if ((groups[i]! & mask) !== (network[i]! & mask)) return false;
  }
  return true;
}

/** Eight 16-bit groups of an IPv6 address (hex groups, `::` at most once, optionally a dotted IPv4 tail), or null. */
export function parseIpv6(text: string): number[] | null {
  let hex = text;
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted) {
    const v4 = parseIpv4(dotted[2]!);
    if (!v4) return null;
    hex = `${dotted[1]}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = hex.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  return all.map((g) => parseInt(g, 16));
}
