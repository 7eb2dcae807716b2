// The local outbox: what the simulator received, content included, kept in the simulator's own storage
// (so it outlives the object's eviction), in local development only.
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { newApp } from "../../src/api/app";
import { providerFor } from "../../src/providers/choose";
import { Outbox, OUTBOX_CAPACITY } from "../../src/providers/simulator/outbox";
import { simulatorStub } from "../../src/providers/simulator/stub";
import { BASE, emailRequest, postEmail, postSms, smsRequest, tokenFor, uniqueKey } from "../support/api";
import { shipmentIdOf, waitForShipment } from "../support/shipments";
import { orderObjectOf, orderRefOf, simulatorAttempts, storedOrder } from "../support/order";
import { loseNextQueueMessage } from "../support/queue";
import { dispatchShipment } from "../../src/dispatch/dispatch";

interface OutboxJson {
  messages: {
    id: number;
    receivedAt: string;
    channel: string;
    provider: string;
    to: string;
    from: string;
    subject?: string;
    body: string;
    contentType?: string;
    text?: string;
    answer: string;
    shipmentId: string;
    timeline: { status: string; applied: boolean }[];
  }[];
}

const outbox = async () => (await (await exports.default.fetch("http://localhost/outbox/messages.json")).json()) as OutboxJson;

const message = (n: number) => ({
  channel: "sms" as const,
  shipmentId: `shipment-${n}`,
  orderRef: "ref",
  to: "+4799999999",
  from: "Altinn",
  body: `Your code is ${n}`,
  validitySeconds: 60,
});

/** A simulator object of its own, so these tests see only what they put in. */
const freshOutbox = <T>(use: (box: Outbox) => T) =>
  runInDurableObject(env.SIMULATOR.get(env.SIMULATOR.newUniqueId()), (_instance, state) => use(new Outbox(state.storage.sql)));

describe("the outbox table", () => {
  it(`keeps the latest ${OUTBOX_CAPACITY} messages, newest first`, async () => {
    const listed = await freshOutbox((box) => {
      for (let n = 1; n <= OUTBOX_CAPACITY + 50; n++) box.add(message(n), "primary", "accepted");
      return box.list();
    });
    expect(listed).toHaveLength(OUTBOX_CAPACITY);
    expect(listed[0]).toMatchObject({ body: `Your code is ${OUTBOX_CAPACITY + 50}`, provider: "primary", channel: "sms" });
    expect(listed[0]).not.toHaveProperty("contentType");
    expect(listed.at(-1)!.body).toBe("Your code is 51");
  });

  it("does not keep a message that comes without its body", async () => {
    const { body: _body, ...withoutBody } = message(1);
    expect(await freshOutbox((box) => (box.add(withoutBody, "primary", "accepted"), box.list()))).toEqual([]);
  });

  it("is emptied by a clear, and new messages get new ids", async () => {
    const [before, after] = await freshOutbox((box) => {
      box.add(message(1), "primary", "accepted");
      const first = box.list();
      box.clear();
      const cleared = box.list();
      box.add(message(2), "primary", "accepted");
      return [first, [...cleared, ...box.list()]];
    });
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBeGreaterThan(before[0]!.id);
  });
});

describe("GET /outbox/messages.json", () => {
  it("shows an SMS as the recipient gets it, with the shipment's status timeline", async () => {
    const request = smsRequest({ phoneNumber: "+4799999999", body: "Your code is 731904" });
    const id = await shipmentIdOf(await postSms(request));
    await waitForShipment(id, (s) => s.status === "Order_Completed");

    const shown = (await outbox()).messages.find((m) => m.shipmentId === id);
    expect(shown).toMatchObject({ channel: "sms", to: "+4799999999", from: "Altinn", body: "Your code is 731904", answer: "accepted (SMS_Accepted)" });
    expect(shown!.timeline.filter((e) => e.applied).map((e) => e.status).slice(-2)).toEqual(["SMS_Accepted", "SMS_Delivered"]);
  });

  it("shows an email with its subject and HTML body, newest first", async () => {
    const first = await shipmentIdOf(await postSms(smsRequest()));
    const id = await shipmentIdOf(await postEmail(emailRequest({ body: "<p>Code <b>428516</b></p>" })));
    await waitForShipment(id, (s) => s.status === "Order_Completed");
    await waitForShipment(first, (s) => s.status === "Order_Completed");

    const { messages } = await outbox();
    expect(messages.find((m) => m.shipmentId === id)).toMatchObject({
      channel: "email",
      subject: "One-time code",
      body: "<p>Code <b>428516</b></p>",
      contentType: "Html",
    });
    const ids = messages.map((m) => m.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });

  it("shows an HTML email's plain-text part beside its HTML", async () => {
    const body = '<h1>Sign in</h1><p>Your code is <b>508132</b>.</p><ul><li><a href="https://example.com/help">Help</a></li></ul><script>x()</script>';
    const id = await shipmentIdOf(await postEmail(emailRequest({ body })));
    await waitForShipment(id, (s) => s.status === "Order_Completed");
    expect((await outbox()).messages.find((m) => m.shipmentId === id)).toMatchObject({
      provider: "simulator",
      contentType: "Html",
      body,
      text: "Sign in\n\nYour code is 508132.\n\n * Help (https://example.com/help)",
    });
  });

  it("is still there after the simulator object is evicted (its own storage, not its memory)", async () => {
    const body = `Your code is ${uniqueKey("evicted")}`;
    const id = await shipmentIdOf(await postSms(smsRequest({ body })));
    await waitForShipment(id, (s) => s.status === "Order_Completed");
    // Mark this instance, then reset the object as an eviction would: a new instance, memory gone.
    await runInDurableObject(simulatorStub(env), (instance) => void Object.assign(instance, { evictionMarker: true }));
    await expect(runInDurableObject(simulatorStub(env), (_instance, state) => state.abort("evicted by the test"))).rejects.toThrow();
    await vi.waitFor(async () => expect(await runInDurableObject(simulatorStub(env), (instance) => "evictionMarker" in instance)).toBe(false));

    expect((await outbox()).messages.find((m) => m.shipmentId === id)).toMatchObject({ body, channel: "sms", provider: "primary" });
  });
});

describe("DELETE /outbox/messages", () => {
  it("empties the outbox: 204, then nothing is listed until a new message comes", async () => {
    const first = await shipmentIdOf(await postSms(smsRequest()));
    await waitForShipment(first, (s) => s.status === "Order_Completed");
    expect((await outbox()).messages.length).toBeGreaterThan(0);

    const response = await exports.default.fetch("http://localhost/outbox/messages", { method: "DELETE" });
    expect(response.status).toBe(204);
    expect((await outbox()).messages).toEqual([]);

    const next = await shipmentIdOf(await postSms(smsRequest()));
    await waitForShipment(next, (s) => s.status === "Order_Completed");
    expect((await outbox()).messages.map((m) => m.shipmentId)).toEqual([next]);
  });
});

describe("the local-only parts outside local development", () => {
  // Only ENVIRONMENT "local" is local development: a misspelt or missing value is a deployment too.
  const deployments = ["production", "Production", "prod", "staging", undefined].map((ENVIRONMENT) => ({ ...env, ENVIRONMENT }) as Env);

  async function fetchWith(url: string, bindings: Env, method = "GET", body?: unknown, headers: Record<string, string> = {}) {
    const ctx = createExecutionContext();
    const init = body === undefined ? { method, headers } : { method, body: JSON.stringify(body), headers: { ...headers, "content-type": "application/json" } };
    const response = await newApp().fetch(new Request(url, init), bindings, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  }

  it.each(deployments.map((d) => [d.ENVIRONMENT, d] as const))("ENVIRONMENT %j: the outbox and the simulator's controls do not exist", async (_name, deployment) => {
    for (const path of ["/outbox", "/outbox/messages.json", "/simulator/handovers"]) {
      expect((await fetchWith(`http://localhost${path}`, deployment)).status).toBe(404);
    }
    expect((await fetchWith("http://localhost/outbox/messages", deployment, "DELETE")).status).toBe(404);
    expect((await fetchWith("http://localhost/simulator/outage", deployment, "POST", { provider: "primary", seconds: 60 })).status).toBe(404);
  });

  it.each(deployments.map((d) => [d.ENVIRONMENT, d] as const))("ENVIRONMENT %j: a status-callback URL to loopback over http is refused", async (_name, deployment) => {
    const headers = { authorization: `Bearer ${await tokenFor("ttd")}` };
    const response = await fetchWith(`${BASE}/future/webhook`, deployment, "PUT", { url: "http://localhost:9000/cb", events: "final" }, headers);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: unknown }).errors).toEqual({ url: ["Must use https."] });
  });

  it("does not exist on an address other than loopback", async () => {
    for (const path of ["/outbox", "/outbox/messages.json"]) {
      expect((await fetchWith(`https://notifications.example.com${path}`, env)).status).toBe(404);
      expect((await fetchWith(`http://127.0.0.1${path}`, env)).status).toBe(200);
    }
    expect((await fetchWith("https://notifications.example.com/outbox/messages", env, "DELETE")).status).toBe(404);
  });

  it.each(deployments.map((d) => [d.ENVIRONMENT, d] as const))("ENVIRONMENT %j: a simulator is no provider, so no content reaches it", async (_name, deployment) => {
    for (const [channel, name] of [["sms", "primary"], ["sms", "secondary"], ["email", "simulator"]] as const) {
      expect(() => providerFor(deployment, channel, name)).toThrow(`"${name}" is a simulator, a provider only in local development`);
    }
  });

  it("a deployment that names a simulator fails the shipment at once with the reason; nothing reaches the simulator", async () => {
    loseNextQueueMessage();
    const body = `Your code is ${uniqueKey("deployed")}`;
    const id = await shipmentIdOf(await postSms(smsRequest({ body })));
    vi.restoreAllMocks();
    await dispatchShipment(deployments[0]!, { orderRef: await orderRefOf(id), shipmentId: id, channel: "sms" });
    expect(await storedOrder(id)).toMatchObject({ status: "SMS_Failed", handover: "done", attempts: 0, content: null });
    const last = (await (await orderObjectOf(id)).history(id)).at(-1)!;
    expect(last.detail).toMatch(/no usable SMS provider is configured.*"primary" is a simulator, a provider only in local development.*nothing was sent/);
    expect(await simulatorAttempts(id)).toBe(0);
    expect((await simulatorStub(env).outboxMessages()).some((m) => m.shipmentId === id || m.body === body)).toBe(false);
  });
});

describe("GET /outbox", () => {
  it("is a page that renders messages as text and HTML email only in a sandboxed frame, under a strict policy", async () => {
    const response = await exports.default.fetch("http://localhost/outbox");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await response.text();
    expect(html).toContain('frame.setAttribute("sandbox", "")');
    expect(html).not.toContain("innerHTML");
    expect(html).toContain('textContent: message.text'); // the plain-text part, as text
    expect(html).toContain('fetch("/outbox/messages", { method: "DELETE" })'); // the clear button
  });
});
