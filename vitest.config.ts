import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { existsSync } from "node:fs";
import { relative } from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { buildStatic } from "./scripts/build-static.mjs";

// wrangler.toml's [assets] directory must exist before the pool reads the configuration.
buildStatic();

// Each test file's runtime keeps its Durable Objects' and D1's SQLite files in a new folder under the
// system's temporary directory (that is how storage is isolated per file). On a disk every commit waits
// for fsync, and a registration commits several times; in memory (tmpfs) it does not. An explicit TMPDIR wins.
if (!process.env.TMPDIR && existsSync("/dev/shm")) process.env.TMPDIR = "/dev/shm";

// Quiet runs: wrangler's "Using secrets defined in .dev.vars" (once per test file; the tests set their own
// bindings) is an info line, and workerd reports the runner's WebSocket closing at the end of every test
// file as an "exception" that is none. Warnings, errors and the tests' own output still show.
process.env.WRANGLER_LOG ??= "warn";
const RUNNER_CLOSED = /^exception = workerd\/api\/web-socket\.c\+\+:\d+: disconnected: WebSocket peer disconnected\r?\n/gm;
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : null;
    if (text === null || !text.includes("WebSocket peer disconnected")) return write(chunk, ...rest);
    return write(text.replace(RUNNER_CLOSED, ""), ...rest); // an empty write still calls its callback
  }) as typeof stream.write;
}

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

// Tests of pure functions only (the order's decisions, validators, status maps and rules, figures): they
// touch no binding and no runtime API, so they run in Node, without starting a workerd runtime for each
// file. Whatever uses a binding, the runtime's crypto or a library that must run in workerd (signatures,
// the content cipher, the plain-text part, tokens) stays in the workerd projects below.
const PURE_TESTS = [
  "test/api/property-names.test.ts",
  "test/bench/figures.test.ts",
  "test/config/production-checks.test.ts",
  "test/config/smoke.test.ts",
  "test/docs/configuration.test.ts",
  "test/orders/decide.table.test.ts",
  "test/orders/email-address.test.ts",
  "test/orders/lifecycle.test.ts",
  "test/orders/phone-number.test.ts",
  "test/orders/sms-segments.test.ts",
  "test/orders/sms-sender.test.ts",
  "test/orders/write-behind-gather.test.ts",
  "test/properties/order-decisions.property.test.ts",
  "test/providers/breaker.test.ts",
  "test/providers/email-status-map.test.ts",
  "test/providers/provider-status-maps.test.ts",
  "test/providers/slow-delivery.test.ts",
  "test/providers/twilio-status-map.test.ts",
  "test/retry/dead-letter-rules.test.ts",
  "test/stats/figures.test.ts",
  "test/stats/range.test.ts",
  "test/retry/alarm-follower.test.ts",
  "test/status/transitions.test.ts",
  "test/store/callback-events.test.ts",
  "test/store/callback-handoffs.test.ts",
  "test/webhooks/decide.table.test.ts",
  "test/webhooks/schedule.test.ts",
  "test/webhooks/subscription.test.ts",
  "test/webhooks/url-rules.test.ts",
];

/**
 * Longest files first, whatever their project: vitest's own order runs the projects one after another
 * (by name), so a long file of a later project (twilio) could start late and end the run alone. By the
 * last run's durations when every file has one, else by size (a fresh clone has no durations).
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { cache, config } = this.ctx;
    const key = (file: TestSpecification) => `${file.project.name}:${relative(config.root, file.moduleId)}`;
    const durations = files.map((file) => cache.getFileTestResults(key(file))?.duration);
    const weights = durations.every((d) => d !== undefined) ? durations : files.map((file) => cache.getFileStats(key(file))?.size ?? Infinity);
    return files.map((file, i) => ({ file, weight: weights[i]! })).sort((a, b) => b.weight - a.weight).map(({ file }) => file);
  }
}

export default defineConfig({
  plugins: [
    {
      // The bundled libraries (deps.optimizer below) reach each test file's runtime without their source
      // maps: vitest inlines a module's map into its code, which for these bundles is twice the code
      // (zod: 0.65 MB of code, 1.7 MB of map), sent to and parsed by every runtime anew. A stack trace
      // inside a library then points into its bundle; the Worker's and the tests' own maps stay.
      name: "libraries-without-source-maps",
      transform(code, id) {
        const optimizer = "depsOptimizer" in this.environment ? this.environment.depsOptimizer : undefined;
        if (!optimizer?.isOptimizedDepFile(id)) return;
        // An unchanged code keeps the map it was loaded with: one newline more is a change.
        return { code: `${code}\n`, map: { mappings: "" } };
      },
    },
  ],
  test: {
    setupFiles: ["./test/setup.ts"],
    // Each test file starts a runtime that imports the Worker anew, module by module: the libraries,
    // bundled once per run into one file each, load in a fraction of the time (hundreds of files fewer).
    deps: {
      optimizer: {
        ssr: {
          enabled: true,
          include: [
            "@hono/zod-openapi", "fast-check", "hono", "hono/body-limit", "hono/cors", "hono/http-exception",
            "html-to-text", "jose", "libphonenumber-js/max", "standardwebhooks", "zod",
          ],
        },
      },
    },
    testTimeout: 20_000,
    sequence: { sequencer: LongestFirst },
    // Two test files at a time, on any machine: vitest's default (cores - 1) is one file at a time on a
    // 2-core machine, where each file spends most of its ~3 s start-up waiting, not computing.
    maxWorkers: 3,
    // Logs of passing tests are noise; a failing test shows its own.
    silent: "passed-only",
    // Queue consumers and alarms go on working after a test file ends; when workerd tears that file's
    // runtime down under them, vitest reports the closed channel. That alone is not a failure.
    onUnhandledError: (error) => error.name !== "EnvironmentTeardownError",
    projects: [
      {
        // Worker threads, not child processes: a thread starts in a fraction of a process's time (21 files 5.7 s to 4.1 s).
        test: { name: "unit", environment: "node", pool: "threads", include: PURE_TESTS },
      },
      {
        extends: true,
        // Dispatch only through the queue here, so tests can lose, hold back and redeliver its messages.
        plugins: [workers({ DISPATCH_ON_REGISTRATION: "queue" })],
        test: { name: "simulator", include: ["test/**/*.test.ts"], exclude: ["test/twilio/**", "test/provider-apis/**", "test/slow-delivery/**", ...PURE_TESTS] },
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
