import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { exportJWK, generateKeyPair } from "jose";
import { defineConfig } from "vitest/config";
import { buildStatic } from "./scripts/build-static.mjs";
// Workarounds, each in a file of its own that says why and when to drop it.
import { librariesWithoutSourceMaps, PREBUNDLED_LIBRARIES } from "./test/vitest/libraries";
import { LongestFirst } from "./test/vitest/longest-first";
import { quietTestOutput } from "./test/vitest/quiet-output";
import { storageInMemory } from "./test/vitest/storage-in-memory";
import { ignoreTeardownErrors } from "./test/vitest/teardown-errors";

// wrangler.toml's [assets] directory must exist before the pool reads the configuration.
buildStatic();
storageInMemory();
quietTestOutput();

// A throw-away issuer key per test run: the Worker trusts its public half, tests sign with the private half.
const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
const kid = "test-key";
const publicJwk = { ...(await exportJWK(publicKey)), alg: "ES256", use: "sig", kid };
const privateJwk = { ...(await exportJWK(privateKey)), alg: "ES256", kid };
const migrations = await readD1Migrations("./migrations");

const workers = (bindings: Record<string, string>) =>
  cloudflareTest({
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: {
      bindings: {
        AUTH_JWKS: JSON.stringify({ keys: [publicJwk] }),
        TEST_SIGNING_JWK: JSON.stringify(privateJwk),
        TEST_MIGRATIONS: migrations,
        SIMULATOR_REPORT_DELAY_MS: "0",
        CALLBACK_TIMEOUT_MS: "500", // so a hanging callback receiver times out within a test
        SUBSCRIPTION_SETTLE_MS: "0", // a PUT of events "all" answers at once (its wait is table-tested)
        WRITE_BEHIND_MS: "0",
        // Every organisation on the first shard, except the one the sharding tests pin to the second.
        D1_SHARDS_OPEN: "DB",
        ORG_SHARDS: JSON.stringify({ "org-on-shard-1": "DB_1" }),
        CONTENT_KEY: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
        LIMITS_KEY: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
        // Organisations whose limits the limit tests change; every other organisation has wrangler.toml's.
        LIMITS_ORGANISATIONS: {
          "limits-override": { smsPerNumber: [{ max: 2, seconds: 600 }], emailsPerAddress: [{ max: 3, seconds: 600 }] },
          "limits-short": { smsPerNumber: [{ max: 1, seconds: 2 }] },
          "limits-rate": { requestsPerMinute: 3 },
          // A verification's start counts two requests, and its first check none (test/verifications/limits.test.ts).
          "limits-rate-verify": { requestsPerMinute: 3 },
          "limits-rate-check": { requestsPerMinute: 3 },
          "limits-daily": { smsPerDay: 2, emailsPerDay: 2 },
          "limits-countries": { smsCountries: ["SE", "DK"] },
          "limits-off": { enabled: false },
          // The strict answer to a reused key with a different request (422), and the default named explicitly.
          "idempotency-strict": { idempotencyMismatch: "reject" },
          "idempotency-replay": { idempotencyMismatch: "replay" },
          // An organisation that may send email only from its own addresses (test/api/orders.email-sender.test.ts).
          "sender-restricted": { emailSenders: ["noreply@altinn.example", "Post@Altinn.example"] },
        },
        ...bindings,
      },
    },
  });

// Twilio's test account (test/support/fake-twilio.ts speaks to it), shared by the projects that use Twilio.
const twilio = {
  TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000000",
  TWILIO_API_KEY_SID: "SK00000000000000000000000000000000",
  TWILIO_API_KEY_SECRET: "test-api-key-secret",
  TWILIO_AUTH_TOKEN: "test-auth-token",
  TWILIO_API_BASE: "https://api.twilio.test",
  PUBLIC_BASE_URL: "https://notifications.test",
  PROVIDER_TIMEOUT_MS: "500", // so a hanging provider times out within a test
};

export default defineConfig({
  plugins: [librariesWithoutSourceMaps],
  test: {
    setupFiles: ["./test/setup.ts"],
    deps: { optimizer: { ssr: { enabled: true, include: PREBUNDLED_LIBRARIES } } },
    testTimeout: 20_000,
    sequence: { sequencer: LongestFirst },
    // Three test files at a time, on any machine: vitest's default (cores - 1) is one file at a time on a
    // 2-core machine, where each file spends most of its ~3 s start-up waiting, not computing.
    maxWorkers: 3,
    // Logs of passing tests are noise; a failing test shows its own.
    silent: "passed-only",
    onUnhandledError: ignoreTeardownErrors,
    projects: [
      {
        // test/unit/: tests of pure functions only (the order's decisions, validators, status maps and rules,
        // figures), in the folders of the code they test. They touch no binding and no runtime API, so they run
        // in Node, without starting a workerd runtime for each file. Whatever uses a binding, the runtime's
        // crypto or a library that must run in workerd (signatures, the content cipher, the plain-text part,
        // tokens) stays in the workerd projects below.
        // Worker threads, not child processes: a thread starts in a fraction of a process's time (21 files 5.7 s to 4.1 s).
        test: { name: "unit", environment: "node", pool: "threads", include: ["test/unit/**/*.test.ts"] },
      },
      {
        extends: true,
        // Dispatch only through the queue here, so tests can lose, hold back and redeliver its messages.
        plugins: [workers({ DISPATCH_ON_REGISTRATION: "queue" })],
        test: { name: "simulator", include: ["test/**/*.test.ts"], exclude: ["test/twilio/**", "test/provider-apis/**", "test/slow-delivery/**", "test/residency/**", "test/unit/**"] },
      },
      {
        // Data residency (DATA_JURISDICTION = "eu"): every Durable Object comes from its namespace's
        // jurisdiction, in the Worker and in the objects alike (src/config/durable-objects.ts).
        extends: true,
        plugins: [workers({ DATA_JURISDICTION: "eu" })],
        test: { name: "residency", include: ["test/residency/**/*.test.ts"] },
      },
      {
        // The slow-delivery rule through the API: a short SLOW_REPORT_SECONDS, so a test sees a provider
        // degrade within seconds (the rule needs hand-overs at least that old).
        extends: true,
        plugins: [workers({ SLOW_REPORT_SECONDS: "1", DISPATCH_ON_REGISTRATION: "immediate" })],
        test: { name: "slow-delivery", include: ["test/slow-delivery/**/*.test.ts"] },
      },
      {
        // SMS through Twilio: only Twilio's HTTP API is faked (tests stub fetch with its wire format).
        // Dispatch as in production: right after the 201, with the queue message as backup.
        extends: true,
        plugins: [
          workers({
            SMS_PROVIDERS: "twilio",
            ...twilio,
          }),
        ],
        test: { name: "twilio", include: ["test/twilio/**/*.test.ts"] },
      },
      {
        // Altinn's providers and SMS failover over HTTP: LINK Mobility first, Twilio second, ACS for
        // email. Only their HTTP APIs are faked (test/support/fake-*.ts), in their wire formats.
        extends: true,
        plugins: [
          workers({
            SMS_PROVIDERS: "linkmobility,twilio",
            EMAIL_PROVIDER: "azure",
            LINK_BASE_URL: "https://link.test",
            LINK_USERNAME: "link-user",
            LINK_PASSWORD: "link-password",
            LINK_PLATFORM_ID: "PLATFORM-1",
            LINK_PLATFORM_PARTNER_ID: "PARTNER-1",
            LINK_GATE_ID: "GATE-1",
            LINK_DR_SECRET: "link-dr-secret",
            ACS_CONNECTION_STRING: `endpoint=https://acs.test/;accesskey=${btoa("fake-acs-access-key-of-32-bytes!")}`,
            ACS_EVENTS_SECRET: "acs-events-secret",
            ...twilio,
          }),
        ],
        test: { name: "providers", include: ["test/provider-apis/**/*.test.ts"] },
      },
    ],
  },
});
