import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { exportJWK, generateKeyPair } from "jose";
import { defineConfig } from "vitest/config";

// A throw-away issuer key per test run: the Worker trusts its public half, tests sign with the private half.
const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
const kid = "test-key";
const publicJwk = { ...(await exportJWK(publicKey)), alg: "ES256", use: "sig", kid };
const privateJwk = { ...(await exportJWK(privateKey)), alg: "ES256", kid };

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: {
          AUTH_JWKS: JSON.stringify({ keys: [publicJwk] }),
          TEST_SIGNING_JWK: JSON.stringify(privateJwk),
          TEST_MIGRATIONS: await readD1Migrations("./migrations"),
          SIMULATOR_REPORT_DELAY_MS: "0",
        },
      },
    }),
  ],
  test: {
    setupFiles: ["./test/setup.ts"],
    testTimeout: 20_000,
    // Logs of passing tests are noise; a failing test shows its own.
    silent: "passed-only",
  },
});
