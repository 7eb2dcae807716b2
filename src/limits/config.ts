// The limits' configuration: deployment settings (var LIMITS) over the contract's defaults, and
// per-organisation overrides (var LIMITS_ORGANISATIONS, keyed by the token's urn:altinn:org). Both are
// TOML tables in wrangler.toml (or JSON strings); a field left out takes the level below it.
// LIMITS_ORGANISATIONS is where every per-organisation setting lives: an organisation's answer to a
// reused key with a different request (`idempotencyMismatch`) overrides the deployment's var
// IDEMPOTENCY_MISMATCH there too, and the sender addresses it may use (`emailSenders`) narrow the
// deployment's (EMAIL_SENDER_DOMAINS).
import { isSupportedCountry } from "libphonenumber-js/max";
import { z } from "zod";

const WindowSchema = z.strictObject({
  max: z.int().min(1),
  /** Up to 7 days: counts are kept per second for as long as the window. */
  seconds: z.int().min(1).max(7 * 24 * 3600),
});

const CountrySchema = z
  .string()
  .refine((code) => code === "*" || (/^[A-Z]{2}$/.test(code) && isSupportedCountry(code)), {
    message: 'must be "*" or an ISO 3166 alpha-2 code in capitals that has phone numbers (e.g. "NO", "GB")',
  });

const SettingsSchema = z.strictObject({
  /** false: no counting at all (the country list still applies). */
  enabled: z.boolean(),
  requestsPerMinute: z.int().min(1),
  smsPerNumber: z.array(WindowSchema).max(4),
  emailsPerAddress: z.array(WindowSchema).max(4),
  smsPerDay: z.int().min(1),
  emailsPerDay: z.int().min(1),
  /** Countries a phone number may belong to; "*" allows all, an empty list none. */
  smsCountries: z.array(CountrySchema),
});

export type LimitSettings = z.infer<typeof SettingsSchema>;
export type CountWindow = z.infer<typeof WindowSchema>;

/** The documented defaults (docs/limits.md). */
export const CONTRACT_DEFAULTS: LimitSettings = {
  enabled: true,
  requestsPerMinute: 3000,
  smsPerNumber: [
    { max: 5, seconds: 600 },
    { max: 20, seconds: 86_400 },
  ],
  emailsPerAddress: [
    { max: 10, seconds: 600 },
    { max: 100, seconds: 86_400 },
  ],
  smsPerDay: 250_000,
  emailsPerDay: 250_000,
  smsCountries: ["*"],
};

const PartialSettings = SettingsSchema.partial();

/**
 * What a different request under a used key gets (docs/api.md#idempotency): "replay", the first
 * request's answer (200) marked `Idempotency-Mismatch: true`, as Altinn answers; "reject", 422 NOT-10001.
 */
const MismatchSchema = z.enum(["replay", "reject"]);
export type IdempotencyMismatch = z.infer<typeof MismatchSchema>;

/** An organisation's sender addresses, compared case-insensitively. */
const EmailSendersSchema = z
  .array(z.string().trim().toLowerCase().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, "must be an email address"))
  .min(1, "must list at least one address (leave it out to allow the deployment's)")
  .max(100);

const OrganisationSchema = PartialSettings.extend({ idempotencyMismatch: MismatchSchema.optional(), emailSenders: EmailSendersSchema.optional() });
const OrganisationsSchema = z.record(z.string().min(1), OrganisationSchema);
type OrganisationSettings = z.infer<typeof OrganisationSchema>;

export class LimitsConfigError extends Error {
  override name = "LimitsConfigError";
}

interface Parsed {
  deployment: LimitSettings;
  organisations: Record<string, OrganisationSettings>;
}

let cache: { limits: unknown; organisations: unknown; parsed: Parsed } | undefined;

/** The settings that apply to `org`. Throws LimitsConfigError, naming the field, when the configuration is invalid. */
export function limitsFor(env: Pick<Env, "LIMITS" | "LIMITS_ORGANISATIONS">, org: string): LimitSettings {
  const parsed = parseConfig(env.LIMITS, env.LIMITS_ORGANISATIONS);
  const override = organisationOverride(parsed, org);
  if (!override) return parsed.deployment;
  const { idempotencyMismatch: _notALimit, emailSenders: _notALimitEither, ...limits } = override;
  return { ...parsed.deployment, ...withoutUndefined(limits) };
}

/**
 * What a different request under a used key gets for `org`: its override, else IDEMPOTENCY_MISMATCH,
 * else "replay" (unset or empty). Throws LimitsConfigError, naming the setting, when either is invalid.
 */
export function idempotencyMismatchFor(env: Pick<Env, "IDEMPOTENCY_MISMATCH" | "LIMITS" | "LIMITS_ORGANISATIONS">, org: string): IdempotencyMismatch {
  const override = organisationOverride(parseConfig(env.LIMITS, env.LIMITS_ORGANISATIONS), org)?.idempotencyMismatch;
  if (override) return override;
  const deployment = env.IDEMPOTENCY_MISMATCH?.trim() ?? "";
  if (deployment === "") return "replay";
  const result = MismatchSchema.safeParse(deployment);
  if (!result.success) throw new LimitsConfigError(`IDEMPOTENCY_MISMATCH: must be "replay" or "reject", not ${JSON.stringify(deployment)}`);
  return result.data;
}

/**
 * Why `org` may not send email from `address` (the caller's senderEmailAddress), or null when it may: an
 * organisation with a list (emailSenders in LIMITS_ORGANISATIONS) only from one of those; any other,
 * where EMAIL_SENDER_DOMAINS names the deployment's sending domains, from an address of one of them;
 * else (unset or empty, as locally) from any address. Throws LimitsConfigError, naming the setting, when
 * either is invalid.
 */
export function emailSenderRefusal(env: Pick<Env, "EMAIL_SENDER_DOMAINS" | "LIMITS" | "LIMITS_ORGANISATIONS">, org: string, address: string): string | null {
  const given = address.trim().toLowerCase();
  const listed = organisationOverride(parseConfig(env.LIMITS, env.LIMITS_ORGANISATIONS), org)?.emailSenders;
  if (listed) return listed.includes(given) ? null : `Must be one of the sender addresses configured for this organisation: ${listed.join(", ")}.`;
  const domains = senderDomains(env.EMAIL_SENDER_DOMAINS);
  if (domains.length === 0) return null;
  const domain = given.slice(given.lastIndexOf("@") + 1);
  return domains.includes(domain) ? null : `Must be an address of this deployment's sending domain${domains.length > 1 ? "s" : ""}: ${domains.join(", ")}.`;
}

/** EMAIL_SENDER_DOMAINS: comma-separated domains, lower-cased; empty when unset. */
function senderDomains(raw: string | undefined): string[] {
  const domains = (raw ?? "").split(",").map((d) => d.trim().toLowerCase()).filter(Boolean);
  const bad = domains.find((d) => !/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(d));
  if (bad !== undefined) throw new LimitsConfigError(`EMAIL_SENDER_DOMAINS: ${JSON.stringify(bad)} is not a domain name`);
  return domains;
}

function organisationOverride(parsed: Parsed, org: string): OrganisationSettings | undefined {
  return Object.hasOwn(parsed.organisations, org) ? parsed.organisations[org] : undefined;
}

/** Validated once per isolate and configuration (the env's values do not change while it lives). */
export function parseConfig(limits: unknown, organisations: unknown): Parsed {
  if (cache && cache.limits === limits && cache.organisations === organisations) return cache.parsed;
  const deployment = { ...CONTRACT_DEFAULTS, ...withoutUndefined(validate("LIMITS", PartialSettings, limits ?? {})) };
  const parsed = { deployment, organisations: validate("LIMITS_ORGANISATIONS", OrganisationsSchema, organisations ?? {}) };
  cache = { limits, organisations, parsed };
  return parsed;
}

function validate<T>(name: string, schema: z.ZodType<T>, raw: unknown): T {
  let value = raw;
  if (typeof raw === "string") {
    try {
      value = raw.trim() === "" ? {} : JSON.parse(raw);
    } catch {
      throw new LimitsConfigError(`${name} is not valid JSON`);
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${[name, ...issue.path.map(String)].join(".")}: ${issue.message}`);
    throw new LimitsConfigError(`Invalid limits configuration: ${problems.join("; ")}`);
  }
  return result.data;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
