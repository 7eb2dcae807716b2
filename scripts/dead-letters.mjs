// The dead letters (docs/configuration.md, "Dead letters"): lists what the dead-letter queues kept, or
// replays (sends back to its original queue) or drops them, through the operator routes. The token is
// read from the environment (never an argument, which would show in the process list and the history).
//   OPERATOR_TOKEN=… npm run --silent dead-letters -- list   [--queue sms-dispatch-dlq] [--base https://<your host>]
//   OPERATOR_TOKEN=… npm run --silent dead-letters -- replay (--ids id1,id2 | --all [--queue …]) [--base …]
//   OPERATOR_TOKEN=… npm run --silent dead-letters -- drop   (--ids id1,id2 | --all [--queue …]) [--base …]
// Without --base it calls the local service (`npm start`, PORT or 8787). `list` prints one JSON line per
// dead letter (ids only); replay and drop print what was done, unknown and failed, as one JSON line.
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    base: { type: "string" },
    queue: { type: "string" },
    ids: { type: "string" },
    all: { type: "boolean", default: false },
  },
});
const [action] = positionals;
const token = process.env.OPERATOR_TOKEN;
if (!["list", "replay", "drop"].includes(action ?? "")) {
  console.error("Usage: dead-letters list|replay|drop [--queue <name>-dlq] [--ids a,b | --all] [--base URL]");
  process.exit(2);
}
if (!token) {
  console.error("Set OPERATOR_TOKEN in the environment (the secret of the same name).");
  process.exit(1);
}
if (action !== "list" && !values.ids === !values.all) {
  console.error(`${action} needs either --ids a,b or --all.`);
  process.exit(2);
}
const base = (values.base ?? `http://127.0.0.1:${process.env.PORT || 8787}`).replace(/\/+$/, "");
const headers = { Authorization: `Bearer ${token}` };

async function call(method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body ? { ...headers, "Content-Type": "application/json" } : headers,
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status}: ${text}`);
  return JSON.parse(text);
}

/** Every kept dead letter of the queue (or all), page by page. */
async function* everyDeadLetter() {
  let after = null;
  do {
    const query = new URLSearchParams({ limit: "100", ...(values.queue ? { queue: values.queue } : {}), ...(after ? { after } : {}) });
    const page = await call("GET", `/operator/dead-letters?${query}`);
    yield* page.deadLetters;
    after = page.next;
  } while (after);
}

try {
  if (action === "list") {
    for await (const deadLetter of everyDeadLetter()) console.log(JSON.stringify(deadLetter));
  } else {
    const ids = values.ids ? values.ids.split(",").map((id) => id.trim()).filter(Boolean) : [];
    if (values.all) for await (const deadLetter of everyDeadLetter()) ids.push(deadLetter.id);
    const totals = { done: [], unknown: [], failed: [] };
    for (let i = 0; i < ids.length; i += 100) {
      const settled = await call("POST", `/operator/dead-letters/${action}`, { ids: ids.slice(i, i + 100) });
      for (const key of Object.keys(totals)) totals[key].push(...settled[key]);
    }
    console.log(JSON.stringify(totals));
    if (totals.failed.length > 0) process.exit(1);
  }
} catch (error) {
  console.error(`Stopped: ${error.message}`);
  process.exit(1);
}
