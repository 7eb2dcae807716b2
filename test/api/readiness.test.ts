// GET /health/ready through the Worker's fetch, with the test env changed as a deployment might have it:
// 200 only when the keys, every shard (reachable, at the newest migration) and every provider's settings
// are there; else 503 naming each failing check, never a value.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { LATEST_MIGRATION } from "../../src/config/migrations";
import worker from "../../src/index";

interface Ready {
  status: string;
  checks: Record<string, string>;
  failing?: string[];
}

async function ready(bindings: Partial<Record<keyof Env, unknown>> = {}): Promise<{ status: number; body: Ready; text: string }> {
  const request = new Request("http://localhost/health/ready");
  const response = await (worker.fetch as ExportedHandlerFetchHandler<Env>)(
    request as Request<unknown, IncomingRequestCfProperties>,
    { ...env, ...bindings } as Env,
    createExecutionContext(),
  );
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Ready, text };
}

const shard1 = (env as unknown as Record<string, D1Database>).DB_1!;
const key = (bytes: number) => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(bytes))));

describe("GET /health/ready", () => {
  it("answers 200 ready with the test environment, each check named, without a token", async () => {
    const { status, body } = await ready();
    expect(status).toBe(200);
    expect(body).toEqual({
      status: "ready",
      checks: { CONTENT_KEY: "ok", LIMITS: "ok", LIMITS_KEY: "ok", "shard:DB": "ok", "shard:DB_1": "ok", "sms:primary": "ok", "sms:secondary": "ok", "email:simulator": "ok" },
    });
  });

  it("knows the newest migration of migrations/ (a new migration must move LATEST_MIGRATION)", () => {
    expect(env.TEST_MIGRATIONS.map((m) => m.name).at(-1)).toBe(LATEST_MIGRATION);
  });

  it("answers 503 naming CONTENT_KEY when it is missing or not 32 bytes, never its value", async () => {
    const missing = await ready({ CONTENT_KEY: undefined });
    expect(missing.status).toBe(503);
    expect(missing.body.status).toBe("not_ready");
    expect(missing.body.failing).toEqual(["CONTENT_KEY"]);
    expect(missing.body.checks.CONTENT_KEY).toBe("missing");

    const short = key(16);
    const wrong = await ready({ CONTENT_KEY: short });
    expect(wrong.status).toBe(503);
    expect(wrong.body.failing).toEqual(["CONTENT_KEY"]);
    expect(wrong.body.checks.CONTENT_KEY).toBe("not 32 bytes, base64-encoded");
    expect(wrong.text).not.toContain(short);
  });

  it("checks each key CONTENT_KEY replaced (CONTENT_KEYS_PREVIOUS) when set, naming a malformed one by its place", async () => {
    const good = await ready({ CONTENT_KEYS_PREVIOUS: `${key(32)}, ${key(32)}` });
    expect(good.status).toBe(200);
    expect(good.body.checks.CONTENT_KEYS_PREVIOUS).toBe("ok");

    const short = key(31);
    const bad = await ready({ CONTENT_KEYS_PREVIOUS: `${key(32)},${short}` });
    expect(bad.status).toBe(503);
    expect(bad.body.failing).toEqual(["CONTENT_KEYS_PREVIOUS"]);
    expect(bad.body.checks.CONTENT_KEYS_PREVIOUS).toBe("entry 2 not 32 bytes, base64-encoded");
    expect(bad.text).not.toContain(short);
  });

  it("asks for LIMITS_KEY only while limits are on", async () => {
    const on = await ready({ LIMITS_KEY: undefined });
    expect(on.status).toBe(503);
    expect(on.body.failing).toEqual(["LIMITS_KEY"]);
    expect(on.body.checks.LIMITS_KEY).toBe("missing");

    const off = await ready({ LIMITS_KEY: undefined, LIMITS: { enabled: false }, LIMITS_ORGANISATIONS: {} });
    expect(off.status).toBe(200);
    expect(off.body.checks).not.toHaveProperty("LIMITS_KEY");

    // Off for the deployment, on for one organisation: its counters need the key.
    const oneOrg = await ready({ LIMITS_KEY: undefined, LIMITS: { enabled: false }, LIMITS_ORGANISATIONS: { ttd: { enabled: true } } });
    expect(oneOrg.body.failing).toEqual(["LIMITS_KEY"]);

    const invalid = await ready({ LIMITS: { smsPerDay: "many" } });
    expect(invalid.status).toBe(503);
    expect(invalid.body.failing).toEqual(["LIMITS"]);
  });

  describe("D1 shards", () => {
    afterEach(async () => {
      await shard1.batch([
        shard1.prepare("CREATE TABLE IF NOT EXISTS d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)"),
        ...env.TEST_MIGRATIONS.map((m) => shard1.prepare("INSERT OR IGNORE INTO d1_migrations (name) VALUES (?)").bind(m.name)),
      ]);
    });

    it("a shard without the newest migration is named", async () => {
      await shard1.prepare("DELETE FROM d1_migrations WHERE name = ?").bind(LATEST_MIGRATION).run();
      const { status, body } = await ready();
      expect(status).toBe(503);
      expect(body.failing).toEqual(["shard:DB_1"]);
      expect(body.checks["shard:DB_1"]).toBe(`not migrated to ${LATEST_MIGRATION}`);
      expect(body.checks["shard:DB"]).toBe("ok");
    });

    it("a shard never migrated with wrangler (no d1_migrations) is named", async () => {
      await shard1.prepare("DROP TABLE d1_migrations").run();
      const { status, body } = await ready();
      expect(status).toBe(503);
      expect(body.failing).toEqual(["shard:DB_1"]);
      expect(body.checks["shard:DB_1"]).toBe("not migrated (no d1_migrations table)");
    });

    it("a shard of D1_SHARDS without its binding is named, and an empty D1_SHARDS", async () => {
      const misspelt = await ready({ D1_SHARDS: "DB,DB_2" });
      expect(misspelt.body.failing).toEqual(["shard:DB_2"]);
      expect(misspelt.body.checks["shard:DB_2"]).toBe("not a D1 binding");
      const none = await ready({ D1_SHARDS: "" });
      expect(none.body.failing).toEqual(["D1_SHARDS"]);
    });
  });

  describe("providers", () => {
    const twilio = { TWILIO_ACCOUNT_SID: "AC-secret-sid", TWILIO_API_KEY_SID: "SK-secret-sid", TWILIO_API_KEY_SECRET: "twilio-secret-value", TWILIO_AUTH_TOKEN: "twilio-auth-value", PUBLIC_BASE_URL: "https://notify.test" };
    const link = {
      LINK_BASE_URL: "https://link.test",
      LINK_USERNAME: "link-user",
      LINK_PASSWORD: "link-password-value",
      LINK_PLATFORM_ID: "P",
      LINK_PLATFORM_PARTNER_ID: "PP",
      LINK_GATE_ID: "G",
      LINK_DR_SECRET: "link-dr-value",
    };
    const acs = { ACS_CONNECTION_STRING: `endpoint=https://acs.test/;accesskey=${key(32)}`, ACS_EVENTS_SECRET: "acs-events-value" };
    const email = { send: async () => ({ messageId: "x" }) };

    it.each([
      ["twilio with every setting", { SMS_PROVIDERS: "twilio", EMAIL_PROVIDER: "cloudflare", EMAIL: email, ...twilio }],
      ["LINK, then Twilio, and ACS", { SMS_PROVIDERS: "linkmobility,twilio", EMAIL_PROVIDER: "azure", ...link, ...twilio, ...acs }],
    ])("%s is ready", async (_name, bindings) => {
      const { status, body } = await ready(bindings);
      expect(body.failing).toBeUndefined();
      expect(status).toBe(200);
    });

    it.each([
      ["Twilio without its report secret", { SMS_PROVIDERS: "twilio", ...twilio, TWILIO_AUTH_TOKEN: undefined }, { "sms:twilio": "missing TWILIO_AUTH_TOKEN" }],
      ["Twilio without PUBLIC_BASE_URL and its key", { SMS_PROVIDERS: "twilio", ...twilio, PUBLIC_BASE_URL: "", TWILIO_API_KEY_SECRET: undefined }, { "sms:twilio": "missing TWILIO_API_KEY_SECRET, PUBLIC_BASE_URL" }],
      ["LINK without its password and report secret", { SMS_PROVIDERS: "linkmobility", ...link, LINK_PASSWORD: undefined, LINK_DR_SECRET: undefined }, { "sms:linkmobility": "missing LINK_PASSWORD, LINK_DR_SECRET" }],
      ["ACS without its events secret", { EMAIL_PROVIDER: "azure", ...acs, ACS_EVENTS_SECRET: undefined }, { "email:azure": "missing ACS_EVENTS_SECRET" }],
      ["ACS with a malformed connection string", { EMAIL_PROVIDER: "azure", ...acs, ACS_CONNECTION_STRING: "accesskey=abc-secret-value" }, { "email:azure": "ACS_CONNECTION_STRING is not endpoint=https://…;accesskey=…" }],
      ["Cloudflare Email without the EMAIL binding", { EMAIL_PROVIDER: "cloudflare", EMAIL: undefined }, { "email:cloudflare": "missing EMAIL" }],
      ["an unknown provider", { SMS_PROVIDERS: "primary,twillio" }, { "sms:twillio": "not a known sms provider" }],
      ["no email provider", { EMAIL_PROVIDER: "" }, { email: "no provider configured (EMAIL_PROVIDER)" }],
      ["a simulator outside local development", { ENVIRONMENT: "production", SMS_PROVIDERS: "twilio,secondary", ...twilio, EMAIL_PROVIDER: "azure", ...acs }, { "sms:secondary": "a simulator, a provider only in local development" }],
    ])("%s is named", async (_name, bindings, failing) => {
      const { status, body, text } = await ready(bindings as Partial<Record<keyof Env, unknown>>);
      expect(status).toBe(503);
      expect(body.failing).toEqual(Object.keys(failing));
      expect(body.checks).toMatchObject(failing);
      for (const value of [...Object.values(twilio), ...Object.values(link), ...Object.values(acs)].filter((v) => v.includes("secret") || v.includes("value"))) {
        expect(text).not.toContain(value);
      }
      expect(text).not.toContain("abc-secret-value");
    });
  });
});
