// Which providers a channel is configured with: plain configuration reading, apart from the provider
// clients (choose.ts), so what only needs the names (the limits' sandbox exemption) does not import them.
import type { Channel } from "../status/statuses";

/** `primary`, `secondary` and `simulator` are simulators (local development and tests). */
export const SIMULATOR_NAMES: readonly string[] = ["simulator", "primary", "secondary"];

/** SMS_PROVIDERS as a list: names separated by commas, in order of preference, each once. */
export function smsProviderNames(env: Pick<Env, "SMS_PROVIDERS">): string[] {
  return [...new Set((env.SMS_PROVIDERS ?? "").split(",").map((name) => name.trim()).filter(Boolean))];
}

/** The providers configured for a channel, in order of preference. */
export function providerNames(env: Pick<Env, "SMS_PROVIDERS" | "EMAIL_PROVIDER">, channel: Channel): string[] {
  return channel === "sms" ? smsProviderNames(env) : [env.EMAIL_PROVIDER].filter(Boolean);
}
