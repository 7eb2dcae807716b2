// Which receiver URLs a subscription may name (docs/callbacks.md), as one pure function.

export const MAX_URL_LENGTH = 2048;
const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Why `raw` cannot be a receiver URL, or null when it can. `production` refuses internal IP literals. */
export function receiverUrlProblem(raw: string, production: boolean): string | null {
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
  // The URL parser has already normalised IP literals (0x7f.1 and 2130706433 are 127.0.0.1).
  if (production && isInternalAddress(url.hostname)) return "Must not be a loopback, private, link-local or unique-local IP address.";
  return null;
}

/** True for an IPv4 or [IPv6] literal in a loopback, private, link-local, unique-local or similar internal range. */
export function isInternalAddress(hostname: string): boolean {
  const v4 = parseIpv4(hostname);
  if (v4) return isInternalIpv4(v4);
  if (!hostname.startsWith("[") || !hostname.endsWith("]")) return false;
  const v6 = parseIpv6(hostname.slice(1, -1));
  if (!v6) return false;
  const [a, b, c, d, e, f, g, h] = v6 as [number, number, number, number, number, number, number, number];
  const embeddedV4 = (): [number, number, number, number] => [g >> 8, g & 0xff, h >> 8, h & 0xff];
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0) {
    if (f === 0 && g === 0 && (h === 0 || h === 1)) return true; // :: and ::1
    if (f === 0xffff || f === 0) return isInternalIpv4(embeddedV4()); // IPv4-mapped and IPv4-compatible
  }
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) return isInternalIpv4(embeddedV4()); // NAT64
  if ((a & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((a & 0xffc0) === 0xfe80 || (a & 0xffc0) === 0xfec0) return true; // fe80::/10 link-local, fec0::/10 site-local
  return false;
}

function isInternalIpv4([a, b]: readonly number[]): boolean {
  return (
    a === 0 || // "this network", reaches the local host
    a === 10 ||
    a === 127 ||
    (a === 100 && b! >= 64 && b! <= 127) || // shared address space (carrier-grade NAT)
    (a === 169 && b === 254) ||
    (a === 172 && b! >= 16 && b! <= 31) ||
    (a === 192 && b === 168)
  );
}

function parseIpv4(host: string): number[] | null {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.map(Number);
}

/** Eight 16-bit groups of an IPv6 address in the URL parser's serialisation (hex groups, `::` once). */
function parseIpv6(text: string): number[] | null {
  const halves = text.split("::");
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
