// Counts the SMS parts a body needs, the way a GSM network splits it (3GPP TS 23.038 / 23.040).

export type SmsEncoding = "GSM-7" | "UCS-2";

/** The contract's ceiling on one message (docs/api.md, `smsSettings.body`). */
export const MAX_SMS_SEGMENTS = 16;

const GSM_SINGLE_PART_SEPTETS = 160;
const GSM_MULTIPART_SEPTETS = 153; // 7 septets go to the concatenation header
const UCS2_SINGLE_PART_UNITS = 70;
const UCS2_MULTIPART_UNITS = 67; // 3 units go to the concatenation header

// GSM 03.38 default alphabet. ESC (0x1B) is left out: it only introduces the extension table.
const GSM_BASIC = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);

// Extension table: each is sent as ESC + char, so it costs two septets.
const GSM_EXTENSION = new Set("^{}\\[~]|€\f");

export function countSmsSegments(body: string): { encoding: SmsEncoding; units: number; segments: number } {
  const characters = Array.from(body); // code points, so a surrogate pair stays one item
  const gsmCosts = gsmSeptetCosts(characters);
  if (gsmCosts) {
    return { encoding: "GSM-7", ...packIntoParts(gsmCosts, GSM_SINGLE_PART_SEPTETS, GSM_MULTIPART_SEPTETS) };
  }
  const utf16Costs = characters.map((c) => c.length);
  return { encoding: "UCS-2", ...packIntoParts(utf16Costs, UCS2_SINGLE_PART_UNITS, UCS2_MULTIPART_UNITS) };
}

/** Septets per character, or null when any character is outside GSM-7. */
function gsmSeptetCosts(characters: string[]): number[] | null {
  const costs: number[] = [];
  for (const c of characters) {
    if (GSM_BASIC.has(c)) costs.push(1);
    else if (GSM_EXTENSION.has(c)) costs.push(2);
    else return null;
  }
  return costs;
}

/**
 * Fills parts greedily. Each cost is indivisible (an escape pair or a surrogate pair), so an item
 * that does not fit in what is left of a part starts the next one.
 */
function packIntoParts(costs: number[], singlePartSize: number, multipartSize: number): { units: number; segments: number } {
  const units = costs.reduce((sum, cost) => sum + cost, 0);
  if (units === 0) return { units, segments: 0 };
  if (units <= singlePartSize) return { units, segments: 1 };

  let segments = 1;
  let usedInPart = 0;
  for (const cost of costs) {
    if (usedInPart + cost > multipartSize) {
      segments += 1;
      usedInPart = 0;
    }
    usedInPart += cost;
  }
  return { units, segments };
}
