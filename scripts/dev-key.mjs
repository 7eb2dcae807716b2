// Makes the local development issuer's signing key on first run (git-ignored, never committed)
// and writes its public JWKS into .dev.vars, where `wrangler dev` reads it as AUTH_JWKS.
// Imported by scripts/token.mjs, so `npm start` and `npm run token` work in either order.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const keyFile = resolve(root, ".dev/issuer-key.json");
const devVarsFile = resolve(root, ".dev.vars");
export const DEV_ISSUER = "urn:instant-notifications:dev-issuer";
export const REQUIRED_SCOPE = "altinn:serviceowner/notifications.create";

/** Returns the private JWK of the development issuer, creating it (and .dev.vars) when missing. */
export async function ensureDevKey() {
  let privateJwk;
  if (existsSync(keyFile)) {
    privateJwk = JSON.parse(readFileSync(keyFile, "utf8"));
  } else {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    privateJwk = { ...(await exportJWK(privateKey)), alg: "ES256", use: "sig", kid: `dev-${Date.now()}` };
    mkdirSync(dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, JSON.stringify(privateJwk, null, 2) + "\n", { mode: 0o600 });
  }
  writeDevVars(privateJwk);
  return privateJwk;
}

/** A bearer token from the development issuer (used by `npm run token`, the bench and the soak). */
export async function signDevToken({ org, scope = REQUIRED_SCOPE, ttlSeconds = 3600 }) {
  const jwk = await ensureDevKey();
  return new SignJWT({ scope, "urn:altinn:org": org })
    .setProtectedHeader({ alg: "ES256", kid: jwk.kid, typ: "JWT" })
    .setIssuer(DEV_ISSUER)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(await importJWK(jwk, "ES256"));
}

function writeDevVars(privateJwk) {
  const { d: _private, ...publicJwk } = privateJwk;
  const line = `AUTH_JWKS='${JSON.stringify({ keys: [publicJwk] })}'`; // single quotes: dotenv keeps it literal
  const existing = existsSync(devVarsFile) ? readFileSync(devVarsFile, "utf8").split("\n") : [];
  const kept = existing.filter((l) => l.trim() !== "" && !l.startsWith("AUTH_JWKS="));
  // The key that seals message bodies in the order objects: made once, kept with the local state.
  if (!kept.some((l) => l.startsWith("CONTENT_KEY="))) kept.push(`CONTENT_KEY=${randomBytes(32).toString("base64")}`);
  // The key of the HMAC that names recipients' limit counters (src/limits/recipient-key.ts).
  if (!kept.some((l) => l.startsWith("LIMITS_KEY="))) kept.push(`LIMITS_KEY=${randomBytes(32).toString("base64")}`);
  const next = [...kept, line].join("\n") + "\n";
  if (next !== existing.join("\n")) writeFileSync(devVarsFile, next);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await ensureDevKey();
  console.error(`development issuer key: ${keyFile}`);
}
