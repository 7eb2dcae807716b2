// Prints a bearer token from the local development issuer:
//   npm run --silent token -- --org <org> [--scope <scope>] [--ttl <seconds>]
import { parseArgs } from "node:util";
import { REQUIRED_SCOPE, signDevToken } from "./dev-key.mjs";

const { values } = parseArgs({
  options: {
    org: { type: "string", default: "ttd" },
    scope: { type: "string", default: REQUIRED_SCOPE },
    ttl: { type: "string", default: "3600" },
  },
});
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) throw new Error("--ttl must be a positive integer (seconds)");
if (!/^[a-z0-9-]{1,64}$/i.test(values.org)) throw new Error("--org must be an organisation code like 'ttd'");

const token = await signDevToken({ org: values.org, scope: values.scope, ttlSeconds: ttl });
process.stdout.write(token + "\n");
