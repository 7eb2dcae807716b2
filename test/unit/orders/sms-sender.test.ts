// The SMS sender rule: which senders each provider carries (its client's declared rule), and what
// registration sends when not every configured provider carries the caller's sender.
import { describe, it, expect } from "vitest";
import { senderReplacedNote, senderReplacement } from "../../../src/orders/sms-sender";
import { senderNotCarriedBy, smsSenderRuleOf } from "../../../src/providers/sms-senders";
import { GSM7_SAFE_SENDERS } from "../../../src/providers/sender-rule";

const carried = (sender: string, provider: string) => senderNotCarriedBy(sender, [provider]) === null;

// One line per sender: carried by twilio, by linkmobility, by the simulator (all three simulator names).
const TABLE: ReadonlyArray<readonly [sender: string, twilio: boolean, link: boolean, simulator: boolean]> = [
  //  sender                          twilio  link   simulator
  ["Altinn",                          true,   true,  true],
  ["Altinn-test",                     true,   true,  true],   // Altinn's load-test bodies
  ["(TEST) Instant SMS Test",         false,  false, false],  // Altinn's Bruno request: 23 characters
  ["(TEST) SMS",                      false,  false, true],   // parentheses: GSM-7, not Twilio's
  ["Oslo Kommun",                     true,   true,  true],   // 11 with a space
  [" Altinn ",                        true,   true,  true],
  ["A",                               true,   true,  true],
  ["1a",                              true,   true,  true],
  ["Bank+24",                         true,   false, true],
  ["Alt_inn",                         true,   false, true],
  ["Bits&Bytes",                      true,   false, true],
  ["Altinn.no",                       false,  true,  true],
  ["NAV@Oslo",                        false,  false, true],
  ["Skatt$",                          false,  false, true],
  ["Alt[inn]",                        false,  false, false],  // GSM-7's extension table
  ["Alt~inn",                         false,  false, false],
  ["Alt`inn",                         false,  false, false],  // not in GSM-7
  ["Bærum",                           false,  false, false],  // not ASCII
  ["Altinn\n",                        false,  false, false],
  ["Skatteetaten",                    false,  false, false],  // 12 characters
  ["A".repeat(11),                    true,   true,  true],
  ["12 34",                           false,  false, false],  // no letter, not a number
  ["----",                            false,  false, false],
  ["2270",                            true,   true,  true],   // a short number
  ["+4799999999",                     true,   true,  true],
  ["1".repeat(15),                    true,   true,  true],
  [`+${"1".repeat(15)}`,              true,   true,  true],
  ["1".repeat(16),                    false,  false, false],
  ["+",                               false,  false, false],
  ["47+99999999",                     false,  false, false],
  ["x".repeat(1000),                  false,  false, false],
];

describe("the senders each SMS provider carries", () => {
  it.each(TABLE)("%j: twilio %s, linkmobility %s, simulator %s", (sender, twilio, link, simulator) => {
    expect([carried(sender, "twilio"), carried(sender, "linkmobility"), carried(sender, "simulator"), carried(sender, "primary"), carried(sender, "secondary")]).toEqual([
      twilio,
      link,
      simulator,
      simulator,
      simulator,
    ]);
  });

  it("takes a sender as given only when every configured provider carries it", () => {
    for (const [sender, twilio, link] of TABLE) expect(senderNotCarriedBy(sender, ["linkmobility", "twilio"]) === null).toBe(twilio && link);
  });

  it("gives a provider no client has the conservative GSM-7-safe set", () => {
    expect(smsSenderRuleOf("another")).toBe(GSM7_SAFE_SENDERS);
  });

  it("applies the shape every provider shares also with no provider configured", () => {
    expect(senderNotCarriedBy("Altinn(1)", [])).toBeNull();
    expect(senderNotCarriedBy("Skatteetaten", [])).toBe("a name of more than 11 characters");
  });
});

describe("why a sender is not carried (what the status history says)", () => {
  it.each([
    ["(TEST) Instant SMS Test", ["twilio"], "'(' is not carried by twilio"],
    ["(TEST) Instant SMS Test", ["simulator"], "a name of more than 11 characters"],
    ["Altinn.no", ["primary", "twilio"], "'.' is not carried by twilio"], // the first provider that refuses, in failover order
    ["Alt inn!", ["linkmobility", "twilio"], "'!' is not carried by linkmobility"],
    ["Bærum", ["twilio"], "U+00E6 is not carried by twilio"], // never more than one character, and only printable ASCII as itself
    ["Alt\ninn", ["twilio"], "U+000A is not carried by twilio"],
    ["Alt'inn", ["twilio"], "U+0027 is not carried by twilio"],
    ["Alt inn", ["another"], null],
    ["12 34", ["twilio"], "a name needs at least one letter"],
    ["1".repeat(16), ["twilio"], "a number of more than 15 digits"],
  ])("%j with %j: %j", (sender, providers, reason) => {
    expect(senderNotCarriedBy(sender, providers)).toBe(reason);
  });
});

describe("senderReplacement: what registration sends", () => {
  it("sends a carried sender as given", () => {
    expect(senderReplacement("Altinn-test", "Altinn", ["primary", "secondary"])).toBeNull();
  });

  it("replaces another with the default, and says why", () => {
    const replaced = senderReplacement("(TEST) Instant SMS Test", "Altinn", ["twilio"]);
    expect(replaced).toEqual({ by: "Altinn", reason: "'(' is not carried by twilio" });
    expect(senderReplacedNote(replaced!)).toBe("sender replaced by the default (Altinn): '(' is not carried by twilio");
  });

  it("never replaces the default with itself", () => {
    expect(senderReplacement("Altinn (NO)", "Altinn (NO)", ["twilio"])).toBeNull();
  });
});
