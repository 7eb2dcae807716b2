// The SMS country allow-list: a number's country is its region in libphonenumber's metadata.
import { parsePhoneNumberFromString } from "libphonenumber-js/max";

let regionNames: Intl.DisplayNames | null | undefined;

function countryName(code: string): string {
  if (regionNames === undefined) {
    try {
      regionNames = new Intl.DisplayNames(["en"], { type: "region" });
    } catch {
      regionNames = null; // no ICU region names in this runtime: the code alone names the country
    }
  }
  return regionNames?.of(code) ?? code;
}

/**
 * Why an SMS to `e164` is refused under the allow-list `allowed` (ISO 3166 alpha-2 codes or "*"), or
 * null when it may be sent. The reason names the country, never the number.
 */
export function countryRefusal(e164: string, allowed: readonly string[]): string | null {
  if (allowed.includes("*")) return null;
  const country = parsePhoneNumberFromString(e164)?.country;
  if (country === undefined) return "SMS to international numbers without a country is not allowed for this organisation.";
  if (allowed.includes(country)) return null;
  return `SMS to ${countryName(country)} (${country}) is not allowed for this organisation.`;
}
