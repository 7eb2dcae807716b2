// The providers of each channel, chosen by configuration: SMS_PROVIDERS (in order of preference) and
// EMAIL_PROVIDER. `primary`, `secondary` and `simulator` are simulators, providers only in local
// development (ENVIRONMENT "local": `npm start` and the tests).
import { isLocal } from "../config/environment";
import type { Channel } from "../status/statuses";
import type { ProviderOutcome } from "./outcome";
import { acsConfig, azureEmailProvider } from "./azure-email/client";
import { cloudflareEmailProvider } from "./cloudflare-email/client";
import { boundedBy, lostCall } from "./http";
import { linkConfig, linkMobilityProvider } from "./linkmobility/client";
import type { Provider } from "./provider";
import { simulatorStub } from "./simulator/stub";
import { twilioConfig, twilioProvider } from "./twilio/client";
import { providerNames, SIMULATOR_NAMES } from "./names";

export { providerNames, SIMULATOR_NAMES, smsProviderNames } from "./names";


/**
 * Whether a provider honours our idempotency key (the shipment id), so a hand-over left in doubt may be
 * asked of it again without sending twice. The simulators do. Twilio and LINK Mobility offer no such
 * key; ACS takes our Operation-Id, but whether it de-duplicates on it is unconfirmed.
 */
export function honoursIdempotencyKey(name: string): boolean {
  return SIMULATOR_NAMES.includes(name);
}

export function isConfigured(env: Pick<Env, "SMS_PROVIDERS" | "EMAIL_PROVIDER">, channel: Channel, name: string): boolean {
  return providerNames(env, channel).includes(name);
}

/** Local development only (providerFor): the content goes along, for the local outbox (the simulator's own storage). */
function simulatorProvider(env: Env, name: string): Provider {
  return {
    async send(message, signal) {
      try {
        return await boundedBy(simulatorStub(env).send(message, name) as Promise<ProviderOutcome>, signal);
      } catch (error) {
        return lostCall(signal, error);
      }
    },
  };
}

/**
 * The named provider of a channel; throws for a name that is not a provider of it, or one not configured,
 * and for a simulator outside local development: a deployment that names one fails its shipments at
 * once with that reason (dispatch.ts) rather than "delivering" them to a simulator that sends nothing
 * and keeps their bodies in its outbox.
 */
export function providerFor(env: Env, channel: Channel, name: string): Provider {
  if (SIMULATOR_NAMES.includes(name)) {
    if (!isLocal(env)) throw new Error(`"${name}" is a simulator, a provider only in local development (ENVIRONMENT is "${env.ENVIRONMENT ?? ""}", not "local")`);
    return simulatorProvider(env, name);
  }
  if (channel === "sms" && name === "twilio") return twilioProvider(twilioConfig(env));
  if (channel === "sms" && name === "linkmobility") return linkMobilityProvider(linkConfig(env));
  if (channel === "email" && name === "cloudflare") {
    if (!env.EMAIL) throw new Error("EMAIL_PROVIDER=cloudflare needs the send_email binding EMAIL");
    return cloudflareEmailProvider(env.EMAIL);
  }
  if (channel === "email" && name === "azure") return azureEmailProvider(acsConfig(env));
  throw new Error(`Unknown ${channel} provider: ${name}`);
}
