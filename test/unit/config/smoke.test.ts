// `npm run smoke` (scripts/lib/smoke.mjs) against a stand-in for a deployment's API that answers in the
// API's own shapes: readiness first, one SMS and one email, their manifests polled until final; its exit
// code and what it prints (never the token).
import { describe, expect, it } from "vitest";
import { API, isFinal, runSmoke, smokeOrders } from "../../../scripts/lib/smoke.mjs";

const TOKEN = "eyJ.secret-token.sig";

/** A deployment whose recipients pass through `sms` and `email` statuses, one per poll. */
function deployment({ sms = ["SMS_Accepted", "SMS_Delivered"], email = ["Email_Succeeded", "Email_Delivered"], ready = true, register = 201 } = {}) {
  const requests: { method: string; path: string; auth: string | null; body?: unknown }[] = [];
  const statuses: Record<string, string[]> = { "sms-1": [...sms], "email-1": [...email] };
  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  const fetch = async (url: string, init: RequestInit = {}) => {
    const path = new URL(url).pathname;
    const auth = new Headers(init.headers).get("Authorization");
    requests.push({ method: init.method ?? "GET", path, auth, ...(init.body ? { body: JSON.parse(String(init.body)) } : {}) });
    if (path === "/health/ready") return ready ? json(200, { status: "ready", checks: { CONTENT_KEY: "ok" } }) : json(503, { status: "not_ready", failing: ["CONTENT_KEY", "sms:twilio"], checks: { CONTENT_KEY: "missing", "shard:DB": "ok", "sms:twilio": "missing TWILIO_AUTH_TOKEN" } });
    if (init.method === "POST") {
      if (register !== 201) return new Response(JSON.stringify({ status: register, title: "Forbidden", code: "NOT-00002", detail: "The token lacks the scope." }), { status: register });
      const id = path.endsWith("/sms") ? "sms-1" : "email-1";
      return json(201, { notificationOrderId: `order-${id}`, notification: { shipmentId: id } });
    }
    const id = path.split("/").at(-1)!;
    const list = statuses[id]!;
    const status = list.length > 1 ? list.shift()! : list[0]!;
    return json(200, { shipmentId: id, status: "Order_Processing", recipients: [{ type: id.startsWith("sms") ? "SMS" : "Email", destination: "x", status }] });
  };
  return { fetch, requests };
}

async function run(options: Parameters<typeof deployment>[0] = {}, timeoutMs = 60_000) {
  const { fetch, requests } = deployment(options);
  const lines: string[] = [];
  let clock = 0;
  const code = await runSmoke({
    base: "https://notify.test/",
    token: TOKEN,
    to: "+4799999999",
    email: "someone@example.test",
    timeoutMs,
    pollMs: 2_000,
    fetch,
    print: (line) => lines.push(line),
    sleep: async (ms) => void (clock += ms),
    now: () => clock,
  });
  return { code, lines, output: lines.join("\n"), requests };
}

describe("npm run smoke", () => {
  it("exits 0 when the SMS is SMS_Delivered and the email Email_Delivered, printing ids and statuses, never the token", async () => {
    const { code, output, requests } = await run();
    expect(code).toBe(0);
    expect(output).toContain("sms   sms-1 registered");
    expect(output).toContain("sms   sms-1 SMS_Delivered (4 s)");
    expect(output).toContain("email email-1 Email_Delivered (4 s)");
    expect(output).toContain("smoke test passed");
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain("+4799999999");
    // Readiness without a token; the orders and manifests with it.
    expect(requests[0]).toEqual({ method: "GET", path: "/health/ready", auth: null });
    expect(requests.filter((r) => r.method === "POST").map((r) => r.path)).toEqual([`${API}/future/orders/instant/sms`, `${API}/future/orders/instant/email`]);
    expect(requests.slice(1).every((r) => r.auth === `Bearer ${TOKEN}`)).toBe(true);
    // Each manifest is read until final, not after.
    expect(requests.filter((r) => r.path === `${API}/future/shipment/sms-1`)).toHaveLength(2);
  });

  it.each([
    [{ sms: ["SMS_Accepted", "SMS_Failed_Undelivered"] }, "sms   sms-1 ended SMS_Failed_Undelivered"],
    [{ email: ["Email_Failed_Bounced"] }, "email email-1 ended Email_Failed_Bounced"],
  ])("exits 1 with the status when either ends otherwise (%j)", async (statuses, line) => {
    const { code, lines } = await run(statuses);
    expect(code).toBe(1);
    expect(lines).toContain(line);
    expect(lines.at(-1)).toBe("smoke test FAILED");
  });

  it("exits 1 when a status is not final within the wait, and stops polling there", async () => {
    const { code, lines, requests } = await run({ sms: ["SMS_Accepted"] }, 10_000);
    expect(code).toBe(1);
    expect(lines).toContain("sms   sms-1 still SMS_Accepted after 10 s");
    expect(requests.filter((r) => r.path === `${API}/future/shipment/sms-1`)).toHaveLength(5);
  });

  it("exits 2 naming the failing checks when the deployment is not ready, and sends nothing", async () => {
    const { code, output, requests } = await run({ ready: false });
    expect(code).toBe(2);
    expect(output).toBe("not ready (503):\n  CONTENT_KEY: missing\n  sms:twilio: missing TWILIO_AUTH_TOKEN");
    expect(requests).toHaveLength(1);
  });

  it("exits 1 with the problem when an order is refused", async () => {
    const { code, lines } = await run({ register: 403 });
    expect(code).toBe(1);
    expect(lines.at(-1)).toBe("sms   not registered: 403 NOT-00002 Forbidden The token lacks the scope.");
  });

  it.each([
    ["SMS_Delivered", true],
    ["Email_Delivered", true],
    ["SMS_Failed_TTL", true],
    ["Email_Failed", true],
    ["SMS_Accepted", false],
    ["Email_Succeeded", false],
    ["SMS_New", false],
    [undefined, false],
  ])("%s is final: %s", (status, final) => {
    expect(isFinal(status)).toBe(final);
  });

  it("sends a new idempotencyId each run, the sender and from only when given", () => {
    let n = 0;
    const [sms, email] = smokeOrders({ to: "+4799999999", email: "a@example.test", id: () => `id-${++n}` });
    expect(sms!.body).toMatchObject({ idempotencyId: "smoke-id-1", recipientSms: { phoneNumber: "+4799999999", smsSettings: {} } });
    expect((sms!.body.recipientSms as { smsSettings: object }).smsSettings).not.toHaveProperty("sender");
    expect(email!.body).toMatchObject({ idempotencyId: "smoke-id-2", recipientEmail: { emailAddress: "a@example.test" } });
    const [, withFrom] = smokeOrders({ to: "+4799999999", email: "a@example.test", from: "noreply@altinn.no" });
    expect(withFrom!.body).toMatchObject({ recipientEmail: { emailSettings: { senderEmailAddress: "noreply@altinn.no" } } });
  });
});
