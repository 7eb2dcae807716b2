// Prints a bearer token from the local development issuer:
//   npm run --silent token -- --org <org> [--scope <scope>] [--ttl <seconds>]
import { parseArgs } from "node:util";
import { REQUIRED_SCOPE, signDevToken } from "./dev-key.mjs";

const USAGE = `Prints a bearer token from the local development issuer (the one \`npm start\` trusts).

Usage: npm run --silent token -- [--org <org>] [--scope <scope>] [--ttl <seconds>]

  --org <org>        the organisation, claim urn:altinn:org (default: ttd)
  --scope <scope>    the scope claim, space-separated (default: ${REQUIRED_SCOPE});
                     leave the scope out to see a 403
  --ttl <seconds>    lifetime in seconds (default: 3600)
  -h, --help         this text

Example: TOKEN=$(npm run --silent token -- --org ttd)`;

function fail(message) {
  console.error(`token: ${message} (npm run token -- --help)`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      org: { type: "string", default: "ttd" },
      scope: { type: "string", default: REQUIRED_SCOPE },
      ttl: { type: "string", default: "3600" },
      help: { type: "boolean", short: "h", default: false },
    },
  }));
} catch (error) {
  fail(error.message.split("\n")[0]);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) fail("--ttl must be a positive whole number of seconds");
if (!/^[A-Za-z0-9_-]{1,64}$/.test(values.org)) fail("--org must be an organisation code like 'ttd' (letters, digits, _ and -)");

const token = await signDevToken({ org: values.org, scope: values.scope, ttlSeconds: ttl });
process.stdout.write(token + "\n");
