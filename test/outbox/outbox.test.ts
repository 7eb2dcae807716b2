// The local outbox: what the simulator received, body included, in memory only, outside production only.
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newApp } from "../../src/api/app";
import { providerFor } from "../../src/providers/choose";
import { Outbox, OUTBOX_CAPACITY } from "../../src/providers/simulator/outbox";
import { simulatorStub } from "../../src/providers/simulator/stub";
import { emailRequest, postEmail, postSms, registeredShipmentId, smsRequest, uniqueKey, waitForShipment } from "../helpers";

interface OutboxJson {
  messages: {
    id: number;
    channel: string;
    to: string;
    from: string;
    subject?: string;
    body: string;
    contentType: string;
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

describe("the outbox ring buffer", () => {
  it(`keeps the latest ${OUTBOX_CAPACITY} messages, newest first`, () => {
    const box = new Outbox();
    for (let n = 1; n <= OUTBOX_CAPACITY + 50; n++) box.add(message(n), "accepted");
    const listed = box.list();
    expect(listed).toHaveLength(OUTBOX_CAPACITY);
    expect(listed[0]!.body).toBe(`Your code is ${OUTBOX_CAPACITY + 50}`);
    expect(listed.at(-1)!.body).toBe("Your code is 51");
  });

  it("does not keep a message that comes without its body", () => {
    const box = new Outbox();
    const { body: _body, ...withoutBody } = message(1);
    box.add(withoutBody, "accepted");
    expect(box.list()).toEqual([]);
  });
});

describe("GET /outbox/messages.json", () => {
  it("shows an SMS as the recipient gets it, with the shipment's status timeline", async () => {
    const request = smsRequest({ phoneNumber: "+4799999999", body: "Your code is 731904" });
    const id = await registeredShipmentId(await postSms(request));
    await waitForShipment(id, (s) => s.status === "Order_Completed");

    const shown = (await outbox()).messages.find((m) => m.shipmentId === id);
    expect(shown).toMatchObject({ channel: "sms", to: "+4799999999", from: "Altinn", body: "Your code is 731904", answer: "accepted (SMS_Accepted)" });
    expect(shown!.timeline.filter((e) => e.applied).map((e) => e.status).slice(-2)).toEqual(["SMS_Accepted", "SMS_Delivered"]);
  });

  it("shows an email with its subject and HTML body, newest first", async () => {
    const first = await registeredShipmentId(await postSms(smsRequest()));
    const id = await registeredShipmentId(await postEmail(emailRequest({ body: "<p>Code <b>428516</b></p>" })));
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

  it("keeps the bodies in the simulator's memory, never in its storage", async () => {
    const body = `Your code is ${uniqueKey("canary")}`;
    const id = await registeredShipmentId(await postSms(smsRequest({ body })));
    await waitForShipment(id, (s) => s.status === "Order_Completed");
    expect((await outbox()).messages.some((m) => m.body === body)).toBe(true);

    await runInDurableObject(simulatorStub(env), async (_instance, state) => {
      const tables = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'").toArray();
      for (const { name } of tables) {
        const rows = JSON.stringify(state.storage.sql.exec(`SELECT * FROM "${name}"`).toArray());
        expect(rows).not.toContain(body);
      }
      expect(JSON.stringify(await state.storage.list())).not.toContain(body);
    });
  });
});

describe("the outbox outside local development", () => {
  const production = { ...env, ENVIRONMENT: "production" } as Env;

  async function fetchWith(url: string, bindings: Env) {
    const ctx = createExecutionContext();
    const response = await newApp().fetch(new Request(url), bindings, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  }

  it("does not exist in production", async () => {
    for (const path of ["/outbox", "/outbox/messages.json"]) {
      expect((await fetchWith(`http://localhost${path}`, production)).status).toBe(404);
    }
  });

  it("does not exist on an address other than loopback", async () => {
    for (const path of ["/outbox", "/outbox/messages.json"]) {
      expect((await fetchWith(`https://notifications.example.com${path}`, env)).status).toBe(404);
      expect((await fetchWith(`http://127.0.0.1${path}`, env)).status).toBe(200);
    }
  });

  it("receives no body from a production dispatcher, so nothing is kept", async () => {
    const body = `Your code is ${uniqueKey("production")}`;
    const shipmentId = crypto.randomUUID();
    const outcome = await providerFor(production, "sms", "primary").send({ ...message(0), shipmentId, body }, AbortSignal.timeout(5000));
    expect(outcome.kind).toBe("accepted");
    expect((await simulatorStub(env).outboxMessages()).some((m) => m.shipmentId === shipmentId)).toBe(false);
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
  });
});
