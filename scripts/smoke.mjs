// The go-live's smoke test (docs/configuration.md, "Production"): one SMS and one email through a
// deployment, waiting for their final statuses.
//   npm run smoke -- --base https://<host> --token <token> --to +47… --email …
import { parseArgs } from "node:util";
import { runSmoke } from "./lib/smoke.mjs";

const USAGE = `Sends one SMS and one email through a deployment and waits for their final statuses.

Usage: npm run smoke -- --base <url> --token <token> --to <phone> --email <address> [options]

  --base <url>        the deployment's origin, e.g. https://notifications.example.com
  --token <token>     a bearer token of an organisation with the notifications scope
                      (or the environment variable SMOKE_TOKEN, which keeps it off the command line)
  --to <phone>        the SMS recipient, E.164 (+47…): a phone you can look at
  --email <address>   the email recipient
  --from <address>    the email sender (default: the deployment's DEFAULT_EMAIL_SENDER)
  --sender <name>     the SMS sender (default: the deployment's DEFAULT_SMS_SENDER)
  --timeout <seconds> how long to wait for both final statuses (default: 180)
  -h, --help          this text

Checks GET /health/ready first (exit 2 when not ready); exits 0 when the SMS is SMS_Delivered and the
email Email_Delivered, 1 otherwise (a failure status, still not final at the timeout, or refused).
Prints shipment ids and statuses only, never the token.`;

function fail(message) {
  console.error(`smoke: ${message} (npm run smoke -- --help)`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      base: { type: "string" },
      token: { type: "string" },
      to: { type: "string" },
      email: { type: "string" },
      from: { type: "string" },
      sender: { type: "string" },
      timeout: { type: "string", default: "180" },
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
const token = values.token ?? process.env.SMOKE_TOKEN;
for (const [name, value] of [["--base", values.base], ["--token", token], ["--to", values.to], ["--email", values.email]]) {
  if (!value) fail(`${name} is required`);
}
if (!/^https?:\/\/[^/]+/.test(values.base)) fail("--base must be an http(s) origin");
const timeout = Number(values.timeout);
if (!Number.isFinite(timeout) || timeout <= 0) fail("--timeout must be a number of seconds");

try {
  process.exit(await runSmoke({ base: values.base, token, to: values.to, email: values.email, from: values.from, sender: values.sender, timeoutMs: timeout * 1000 }));
} catch (error) {
  // A network failure: its message names the host, not the token.
  console.error(`smoke: ${error.cause?.message ?? error.message}`);
  process.exit(1);
}
