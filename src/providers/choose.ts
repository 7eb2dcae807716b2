// The provider for each channel, chosen by configuration (SMS_PROVIDER, EMAIL_PROVIDER).
import type { Channel } from "../status/statuses";
import { cloudflareEmailProvider } from "./cloudflare-email/client";
import type { Provider } from "./provider";
import { simulatorStub } from "./simulator/provider-simulator";
import { twilioConfig, twilioProvider } from "./twilio/client";

function simulatorProvider(env: Env): Provider {
  // Outside production the body goes along, for the local outbox (memory only). In production it stays
  // here: the simulator needs only the recipient to decide the outcome.
  if (env.ENVIRONMENT !== "production") return { send: (message) => simulatorStub(env).send(message) };
  return { send: ({ body: _body, subject: _subject, ...message }) => simulatorStub(env).send(message) };
}

export function providerFor(env: Env, channel: Channel): Provider {
  const name = channel === "sms" ? env.SMS_PROVIDER : env.EMAIL_PROVIDER;
  if (name === "simulator") return simulatorProvider(env);
  if (channel === "sms" && name === "twilio") return twilioProvider(twilioConfig(env));
  if (channel === "email" && name === "cloudflare") {
    if (!env.EMAIL) throw new Error("EMAIL_PROVIDER=cloudflare needs the send_email binding EMAIL");
    return cloudflareEmailProvider(env.EMAIL);
  }
  throw new Error(`Unknown ${channel} provider: ${name}`);
}
