// The sender rule of each SMS provider, by its name in SMS_PROVIDERS (each client declares its own).
import { LINK_SENDERS } from "./linkmobility/client";
import { SIMULATOR_NAMES } from "./names";
import { GSM7_SAFE_SENDERS, senderNotCarried, type SmsSenderRule } from "./sender-rule";
import { SIMULATOR_SENDERS } from "./simulator/sandbox";
import { TWILIO_SENDERS } from "./twilio/client";

export function smsSenderRuleOf(name: string): SmsSenderRule {
  if (SIMULATOR_NAMES.includes(name)) return SIMULATOR_SENDERS;
  if (name === "twilio") return TWILIO_SENDERS;
  if (name === "linkmobility") return LINK_SENDERS;
  return GSM7_SAFE_SENDERS; // a name no client has (its dispatch fails the shipment): the conservative set meanwhile
}

/** Why not every one of these SMS providers (in failover order) carries `sender`, or null when all do. */
export function senderNotCarriedBy(sender: string, providers: readonly string[]): string | null {
  return senderNotCarried(sender, providers.map((name) => [name, smsSenderRuleOf(name)] as const));
}

/** Each SMS provider's characters in words (the OpenAPI document and docs/api.md say the same). */
export const SMS_SENDER_CHARACTERS: ReadonlyArray<readonly [provider: string, described: string]> = [
  ["Twilio", TWILIO_SENDERS.described],
  ["LINK Mobility", LINK_SENDERS.described],
  ["the simulators", SIMULATOR_SENDERS.described],
];
