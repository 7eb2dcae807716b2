// One integration harness: signed tokens from the test issuer and calls through the real Worker.
import { expect } from "vitest";
import { env, exports } from "cloudflare:workers";
import { importJWK, SignJWT } from "jose";
import { shipmentIdFor } from "../src/orders/order-key";
import { syncToD1 } from "./pipeline/order-control";
import { database, shardOf } from "../src/store/shards";
import { uniqueMobile } from "./support/fake-fetch";

export const BASE = "http://localhost/notifications/api/v1";
export const SCOPE = "altinn:serviceowner/notifications.create";

export async function tokenFor(
  org: string | null,
  { scope = SCOPE, issuer = env.AUTH_ISSUER, expiresIn = "5m" as string | number, key = env.TEST_SIGNING_JWK } = {},
): Promise<string> {
  const jwk = JSON.parse(key) as { kid?: string };
  const claims: Record<string, unknown> = { scope };
  if (org !== null) claims["urn:altinn:org"] = org;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: jwk.kid ?? "test-key" })
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(await importJWK(jwk, "ES256"));
}

export interface CallOptions {
  org?: string;
  token?: string | null;
  headers?: Record<string, string>;
  rawBody?: BodyInit;
}

/** Calls the Worker's own fetch handler, as a client would. */
export async function call(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<Response> {
  const token = options.token === undefined ? await tokenFor(options.org ?? "ttd") : options.token;
  const headers: Record<string, string> = { ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  if (body !== undefined || options.rawBody !== undefined) headers["Content-Type"] = "application/json";
  Object.assign(headers, options.headers);
  const init: RequestInit = { method, headers };
  if (options.rawBody !== undefined) init.body = options.rawBody;
  else if (body !== undefined) init.body = JSON.stringify(body);
  return exports.default.fetch(new Request(`${BASE}${path}`, init));
}

export const postSms = (body: unknown, options?: CallOptions) => call("POST", "/future/orders/instant/sms", body, options);
export const postEmail = (body: unknown, options?: CallOptions) => call("POST", "/future/orders/instant/email", body, options);

let counter = 0;
export const uniqueKey = (prefix = "key") => `${prefix}-${Date.now()}-${++counter}-${crypto.randomUUID()}`;

/**
 * A valid Norwegian mobile number drawn per call: the limits allow only a few SMS to one number, so tests
 * that do not care about the recipient must not all send to the same one.
 */
export const variedPhoneNumber = uniqueMobile;

/** An address drawn per call, for the same reason as variedPhoneNumber. */
export const variedEmailAddress = () => `user.${crypto.randomUUID().slice(0, 8)}@example.com`;

export function smsRequest(overrides: { phoneNumber?: string; body?: string; ttl?: number; key?: string } = {}) {
  return {
    idempotencyId: overrides.key ?? uniqueKey("sms"),
    sendersReference: "otp-login-1234",
    recipientSms: {
      phoneNumber: overrides.phoneNumber ?? variedPhoneNumber(),
      timeToLiveInSeconds: overrides.ttl ?? 120,
      smsSettings: { sender: "Altinn", body: overrides.body ?? "Your code is 428516" },
    },
  };
}

export function emailRequest(overrides: { emailAddress?: string; body?: string; key?: string } = {}) {
  return {
    idempotencyId: overrides.key ?? uniqueKey("email"),
    sendersReference: "otp-email-1234",
    recipientEmail: {
      emailAddress: overrides.emailAddress ?? variedEmailAddress(),
      emailSettings: {
        subject: "One-time code",
        body: overrides.body ?? "<p>Your code is 428516</p>",
        senderEmailAddress: "noreply@example.com",
        contentType: "Html",
      },
    },
  };
}

export async function problemOf(response: Response) {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as { status: number; code?: string; errors?: Record<string, string[]>; detail?: string; traceId: string };
}

/** The D1 shard that holds an organisation's rows. */
export async function shardDb(org = "ttd"): Promise<D1Database> {
  return database(env, await shardOf(env, org));
}

/** Rows D1 holds for a key once it has caught up: registration must leave either one full set or nothing. */
export async function rowsForKey(org: string, idempotencyId: string) {
  await syncToD1(await shipmentIdFor(org, idempotencyId));
  const db = await shardDb(org);
  const shipments = await db.prepare("SELECT shipment_id FROM shipments WHERE org = ? AND idempotency_id = ?").bind(org, idempotencyId).all<{ shipment_id: string }>();
  const ids = shipments.results.map((r) => r.shipment_id);
  const count = async (table: string) =>
    ids.length === 0
      ? 0
      : ((await db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE shipment_id IN (${ids.map(() => "?").join(",")})`).bind(...ids).first<{ n: number }>())?.n ?? 0);
  return { shipments: ids.length, recipients: await count("recipients"), events: await count("status_events") };
}

export interface ShipmentBody {
  shipmentId: string;
  status: string;
  lastUpdate: string;
  recipients: { type: string; destination: string; status: string; lastUpdate: string }[];
}

export async function readShipmentAs(org: string, shipmentId: string): Promise<ShipmentBody> {
  const response = await call("GET", `/future/shipment/${shipmentId}`, undefined, { org });
  expect(response.status).toBe(200);
  return (await response.json()) as ShipmentBody;
}

/** Polls the manifest until `done` holds (bounded): the pipeline runs in the background through real queues. */
export async function waitForShipment(shipmentId: string, done: (s: ShipmentBody) => boolean, { org = "ttd", timeoutMs = 8000 } = {}): Promise<ShipmentBody> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const shipment = await readShipmentAs(org, shipmentId);
    if (done(shipment)) return shipment;
    if (Date.now() > until) throw new Error(`shipment ${shipmentId} still ${shipment.recipients[0]?.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function registeredShipmentId(response: Response): Promise<string> {
  expect(response.status).toBe(201);
  return ((await response.json()) as { notification: { shipmentId: string } }).notification.shipmentId;
}
