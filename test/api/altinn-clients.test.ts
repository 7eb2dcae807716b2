// Altinn's own client requests for the instant endpoints, unchanged: its Bruno collection and its k6
// load-test bodies (test/fixtures/altinn/instant-requests.json names each one's file in
// Altinn/altinn-notifications). Sent through the Worker with their placeholders filled as their scripts
// fill them and a local token; each must answer as Altinn answers it: the status code, and the fields
// its post-response script (Bruno) or check (k6) reads.
import { describe, expect, it } from "vitest";
import fixture from "../fixtures/altinn/instant-requests.json";
import { call, variedEmailAddress, variedPhoneNumber } from "../support/api";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const API_BASE = "{{host}}/notifications/api/v1";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: { notification?: { shipmentId?: string }; shipmentId?: string; type?: string };
}
interface BrunoRequest {
  source: string;
  method: string;
  url: string;
  folderVars?: Record<string, string>;
  pathParams?: Record<string, string>;
  body?: Json;
  expect: { status: number; reads: string[]; setsMostRecentShipmentId?: boolean; sameShipmentAs?: string };
}
interface K6Request {
  source: string;
  url: string;
  body: Json;
  fill: Record<string, string>;
  expect: { status: number; shipment: { status: number; type: string } };
}

/** Replaces every `{{name}}` in the strings of `value` with `vars[name]`; an unknown name fails the test. */
function fill<T extends Json>(value: T, vars: Record<string, string>): T {
  if (typeof value === "string") {
    return value.replace(/\{\{([^}]+)\}\}/g, (_whole, name: string) => {
      const filled = vars[name];
      if (filled === undefined) throw new Error(`No value for the placeholder {{${name}}}`);
      return filled;
    }) as T;
  }
  if (Array.isArray(value)) return value.map((item) => fill(item, vars)) as T;
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)])) as T;
  return value;
}

/** A copy of `body` with the dotted `path` set to `value`. */
function withValue(body: Json, path: string, value: string): Json {
  const copy = structuredClone(body) as Record<string, Json>;
  const keys = path.split(".");
  let node = copy;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, Json>;
  node[keys.at(-1)!] = value;
  return copy;
}

async function send(method: string, url: string, body: Json | undefined): Promise<Answer> {
  expect(url.startsWith(API_BASE), url).toBe(true);
  const response = await call(method, url.slice(API_BASE.length), body);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : {} };
}

describe("Altinn's Bruno requests (instant-demo/, v2 (future)/create instant-notification/), in the order the collection runs them", () => {
  const requests = fixture.bruno as unknown as BrunoRequest[];
  const bySource = (suffix: string) => requests.find((r) => r.source.endsWith(suffix))!;
  // The tester's own phone and address (.env.sample), one of each for the run.
  const vars: Record<string, string> = {
    Environment: "local",
    "process.env.TESTDATA_MY_PHONE": variedPhoneNumber(),
    "process.env.TESTDATA_MY_EMAIL": variedEmailAddress(),
  };
  const answers = new Map<string, Answer>();

  /** One request as Bruno runs it: the collection's pre-request script, the request, its post-response script. */
  async function run(request: BrunoRequest): Promise<Answer> {
    Object.assign(vars, request.folderVars, { random_idempotency_id: crypto.randomUUID(), senders_reference_guid: crypto.randomUUID() });
    let url = request.url;
    for (const [name, value] of Object.entries(request.pathParams ?? {})) url = url.replace(`:${name}`, fill(value, vars));
    const answer = await send(request.method, url, request.body === undefined ? undefined : fill(request.body, vars));
    expect(answer.status, `${request.source}: ${answer.text}`).toBe(request.expect.status);
    const shipmentId = answer.body.notification?.shipmentId;
    if (request.expect.reads.includes("notification.shipmentId")) expect(shipmentId).toMatch(UUID);
    if (request.expect.setsMostRecentShipmentId && shipmentId) vars.mostRecentShipmentId = shipmentId;
    answers.set(request.source, answer);
    return answer;
  }

  it.each(requests.map((r) => [r.source, r] as const))("%s", async (_source, request) => {
    const mostRecent = vars.mostRecentShipmentId;
    const answer = await run(request);
    if (request.method === "GET") expect(answer.body.shipmentId).toBe(mostRecent); // the shipment the latest request made
  });

  it("idempotency-email-2nd.bru got the 1st's order, its own content ignored, and says so (Idempotency-Mismatch: true)", () => {
    const first = answers.get(bySource("idempotency-email-1st.bru").source);
    const second = answers.get(bySource("idempotency-email-2nd.bru").source);
    expect(second?.text).toBe(first?.text);
    expect(second?.headers.get("Idempotency-Mismatch")).toBe("true");
    expect(first?.headers.get("Idempotency-Mismatch")).toBeNull();
  });

  it("check-notification-status.bru after the idempotency demo: the shipment of its 1st request (2nd's post-response script stored it)", async () => {
    const first = answers.get(bySource("idempotency-email-1st.bru").source)!;
    vars.mostRecentShipmentId = first.body.notification!.shipmentId!;
    const check = await run(bySource("check-notification-status.bru"));
    expect(check.body).toMatchObject({ shipmentId: first.body.notification!.shipmentId, type: "Instant", recipients: [{ type: "Email" }] });
  });
});

describe("Altinn's k6 load-test bodies (orders-v2.js, order-v2-*-instant*.json), filled as its setup() fills them", () => {
  const sendersReference = crypto.randomUUID(); // one, shared by the run's requests
  const values: Record<string, () => string> = {
    uuid: () => crypto.randomUUID(),
    "shared sendersReference": () => sendersReference,
    smsRecipient: (() => {
      const number = variedPhoneNumber();
      return () => number;
    })(),
    emailRecipient: (() => {
      const address = variedEmailAddress();
      return () => address;
    })(),
  };

  it.each((fixture.k6 as unknown as K6Request[]).map((r) => [r.source, r] as const))("%s", async (_source, request) => {
    let body = request.body;
    for (const [path, kind] of Object.entries(request.fill)) body = withValue(body, path, values[kind]!());
    const created = await send("POST", request.url, body);
    expect(created.status, `POST: ${created.text}`).toBe(request.expect.status);
    const shipmentId = created.body.notification?.shipmentId;
    expect(shipmentId).toBeDefined();
    // runTests(): getShipmentStatus(…, "SMSInstant" / "SMSOldInstant" / "EmailInstant")
    const shipment = await send("GET", `${API_BASE}/future/shipment/${shipmentId}`, undefined);
    expect(shipment.status).toBe(request.expect.shipment.status);
    expect(shipment.body.shipmentId).toBe(shipmentId);
    expect(shipment.body.type).toBe(request.expect.shipment.type);
  });
});
