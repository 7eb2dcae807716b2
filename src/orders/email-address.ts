// A practical email address rule (the README's Validation table, `emailAddress`): what real mailboxes use,
// not all of RFC 5322. The schema trims surrounding whitespace before this rule sees the address.

const MAX_ADDRESS_LENGTH = 254; // RFC 5321 path limit minus the angle brackets
const MAX_LOCAL_PART_LENGTH = 64;

// RFC 5322 atext, plus æøå in either case (Altinn accepts them in the local part as in the domain);
// a dot-atom is atext runs joined by single dots.
const DOT_ATOM = /^[A-Za-z0-9ÆØÅæøå!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9ÆØÅæøå!#$%&'*+/=?^_`{|}~-]+)*$/;

// Labels of letters, digits and inner hyphens (æøå allowed, as Altinn does), then a letters-only TLD.
// Cases are spelt out rather than using the `i` flag: with `iu`, [a-z] would also match K (Kelvin sign) and ſ.
const DOMAIN =
  /^(?:[A-Za-z0-9ÆØÅæøå](?:[A-Za-z0-9ÆØÅæøå-]{0,61}[A-Za-z0-9ÆØÅæøå])?\.)+[A-Za-zÆØÅæøå]{2,63}$/;

export function isValidEmailAddress(s: string): boolean {
  if (s.length > MAX_ADDRESS_LENGTH) return false;

  // Neither part may contain "@" (no quoted local parts), so the split is unambiguous.
  const parts = s.split("@");
  if (parts.length !== 2) return false;
  const [localPart = "", domain = ""] = parts;

  return localPart.length <= MAX_LOCAL_PART_LENGTH && DOT_ATOM.test(localPart) && DOMAIN.test(domain);
}
