// Prints a bearer token from the local development issuer:
//   npm run --silent token -- --org <org> [--scope <scope>] [--ttl <seconds>]
import { parseArgs } from "node:util";
import { importJWK, SignJWT } from "jose";
import { DEV_ISSUER, ensureDevKey } from "./dev-key.mjs";

const { values } = parseArgs({
  options: {
    org: { type: "string", default: "ttd" },
    scope: { type: "string", default: "altinn:serviceowner/notifications.create" },
    ttl: { type: "string", default: "3600" },
  },
});
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) throw new Error("--ttl must be a positive integer (seconds)");
if (!/^[a-z0-9-]{1,64}$/i.test(values.org)) throw new Error("--org must be an organisation code like 'ttd'");

const jwk = await ensureDevKey();
const key = await importJWK(jwk, "ES256");
const token = await new SignJWT({ scope: values.scope, "urn:altinn:org": values.org })
  .setProtectedHeader({ alg: "ES256", kid: jwk.kid, typ: "JWT" })
  .setIssuer(DEV_ISSUER)
  .setIssuedAt()
  .setExpirationTime(`${ttl}s`)
  .sign(key);
process.stdout.write(token + "\n");
