// GET /health/ready: whether this deployment can take and deliver a message now. Each check answers "ok"
// or why not, naming settings and shards, never a value: the keys are present and valid, every D1 shard
// answers and has the newest migration, every configured provider has its settings. A load balancer or
// the go-live's last step (docs/configuration.md) reads it; /health only says the Worker answers.
import { isLocal } from "../config/environment";
import { LATEST_MIGRATION, MIGRATIONS_TABLE } from "../config/migrations";
import { limitsKeyBytes } from "../limits/recipient-key";
import { LimitsConfigError, parseConfig } from "../limits/config";
import { log, logError } from "../log";
import { contentKeyBytes, parseKeyList } from "../orders/content-cipher";
import { parseConnectionString } from "../providers/azure-email/signing";
import { providerNames, SIMULATOR_NAMES } from "../providers/names";
import { database } from "../store/shards";

export const OK = "ok";
/** Check name → "ok" or the reason it fails. */
export type Checks = Record<string, string>;

/** How long one shard may take to answer before it counts as unreachable. */
const SHARD_TIMEOUT_MS = 5_000;

/**
 * What each provider needs besides its name in SMS_PROVIDERS / EMAIL_PROVIDER: the settings its client
 * reads to send (src/providers/<name>/client.ts) and the secret its report endpoint checks
 * (src/api/routes/reports/), and PUBLIC_BASE_URL where the provider's calls back are built from it.
 */
export const PROVIDER_REQUIREMENTS: Record<"sms" | "email", Record<string, (keyof Env)[]>> = {
  sms: {
    twilio: ["TWILIO_ACCOUNT_SID", "TWILIO_API_KEY_SID", "TWILIO_API_KEY_SECRET", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL"],
    linkmobility: ["LINK_BASE_URL", "LINK_USERNAME", "LINK_PASSWORD", "LINK_PLATFORM_ID", "LINK_PLATFORM_PARTNER_ID", "LINK_GATE_ID", "LINK_DR_SECRET"],
  },
  email: {
    cloudflare: ["EMAIL"],
    azure: ["ACS_CONNECTION_STRING", "ACS_EVENTS_SECRET"],
  },
};

/** The keys: CONTENT_KEY always (and CONTENT_KEYS_PREVIOUS when set); LIMITS_KEY when any limits are on (the deployment's or an organisation's). */
export function keyChecks(env: Env): Checks {
  const checks: Checks = { CONTENT_KEY: keyCheck(env.CONTENT_KEY, () => contentKeyBytes(env.CONTENT_KEY), "32 bytes, base64-encoded") };
  // The keys CONTENT_KEY replaced (a rotation's window): one malformed, what it sealed cannot be opened.
  const previous = parseKeyList(env.CONTENT_KEYS_PREVIOUS);
  if (previous.length > 0) {
    const malformed = previous.flatMap((key, i) => (keyCheck(key, () => contentKeyBytes(key), "") === OK ? [] : [i + 1]));
    checks.CONTENT_KEYS_PREVIOUS = malformed.length === 0 ? OK : `entry ${malformed.join(", ")} not 32 bytes, base64-encoded`;
  }
  let limitsOn: boolean;
  try {
    const { deployment, organisations } = parseConfig(env.LIMITS, env.LIMITS_ORGANISATIONS);
    limitsOn = deployment.enabled || Object.values(organisations).some((o) => o.enabled === true);
    checks.LIMITS = OK;
  } catch (error) {
    if (!(error instanceof LimitsConfigError)) throw error;
    log("limits.config_invalid", { problem: error.message });
    checks.LIMITS = "invalid configuration (the log line limits.config_invalid names the field)";
    limitsOn = true;
  }
  if (limitsOn) checks.LIMITS_KEY = keyCheck(env.LIMITS_KEY, () => limitsKeyBytes(env.LIMITS_KEY), "at least 32 bytes, base64-encoded");
  return checks;
}

function keyCheck(secret: string | undefined, parse: () => unknown, shape: string): string {
  if (!secret) return "missing";
  try {
    parse();
    return OK;
  } catch {
    return `not ${shape}`;
  }
}

/** Each configured provider of each channel: a real one with every setting it needs (a simulator only locally). */
export function providerChecks(env: Env): Checks {
  const checks: Checks = {};
  for (const channel of ["sms", "email"] as const) {
    const names = providerNames(env, channel);
    if (names.length === 0) checks[channel] = `no provider configured (${channel === "sms" ? "SMS_PROVIDERS" : "EMAIL_PROVIDER"})`;
    for (const name of names) checks[`${channel}:${name}`] = providerCheck(env, channel, name);
  }
  return checks;
}

function providerCheck(env: Env, channel: "sms" | "email", name: string): string {
  if (SIMULATOR_NAMES.includes(name)) return isLocal(env) ? OK : "a simulator, a provider only in local development";
  const required = PROVIDER_REQUIREMENTS[channel][name];
  if (!required) return `not a known ${channel} provider`;
  const missing = required.filter((setting) => !env[setting]);
  if (missing.length > 0) return `missing ${missing.join(", ")}`;
  if (name === "azure") {
    try {
      parseConnectionString(env.ACS_CONNECTION_STRING!);
    } catch {
      return "ACS_CONNECTION_STRING is not endpoint=https://…;accesskey=…";
    }
  }
  return OK;
}

/** Each shard of D1_SHARDS: a D1 binding that answers and has recorded LATEST_MIGRATION. */
export async function shardChecks(env: Env): Promise<Checks> {
  const shards = (env.D1_SHARDS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (shards.length === 0) return { D1_SHARDS: "names no D1 binding" };
  const results = await Promise.all(shards.map(async (shard) => [`shard:${shard}`, await shardCheck(env, shard)] as const));
  return Object.fromEntries(results);
}

async function shardCheck(env: Env, shard: string): Promise<string> {
  let db: D1Database;
  try {
    db = database(env, shard);
  } catch {
    return "not a D1 binding";
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("timed out")), SHARD_TIMEOUT_MS)));
  try {
    const row = await Promise.race([db.prepare(`SELECT 1 AS applied FROM ${MIGRATIONS_TABLE} WHERE name = ?`).bind(LATEST_MIGRATION).first(), timeout]);
    return row ? OK : `not migrated to ${LATEST_MIGRATION}`;
  } catch (error) {
    if (String(error).includes(`no such table: ${MIGRATIONS_TABLE}`)) return `not migrated (no ${MIGRATIONS_TABLE} table)`;
    logError("health.shard_unreachable", error, { shard });
    return "unreachable";
  } finally {
    clearTimeout(timer);
  }
}

/** Every check; ready when each is "ok". */
export async function readiness(env: Env): Promise<{ ready: boolean; checks: Checks }> {
  const checks = { ...keyChecks(env), ...(await shardChecks(env)), ...providerChecks(env) };
  return { ready: Object.values(checks).every((result) => result === OK), checks };
}
