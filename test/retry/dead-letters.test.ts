// Nothing dies unseen: a message its queue gives up on reaches the dead-letter consumer through the real
// local queues, is kept once in the deployment's DeadLetterObject, counted per day and queue on the
// performance page and logged with ids only; the operator routes list, replay (to the original queue,
// which then handles it) and drop what is kept.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import type { DeadLetter, Settled } from "../../src/retry/dead-letter-object";
import type { Performance } from "../../src/stats/performance";
import { loseNextQueueMessage, spyOnQueue } from "../support/queue";
import { captureLogLines } from "../support/logs";
import { postSms, smsRequest } from "../support/api";
import { eventually, shipmentIdOf, waitForRecipientStatus } from "../support/shipments";

const OPERATOR_TOKEN = "operator-token-of-the-dead-letter-tests-0123456789";
const today = () => new Date().toISOString().slice(0, 10);

afterEach(() => vi.restoreAllMocks());

function operator(method: string, path: string, body?: unknown, token: string | null = OPERATOR_TOKEN) {
  const headers: Record<string, string> = body === undefined ? {} : { "Content-Type": "application/json" };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const request = new Request(`http://localhost${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return (worker.fetch as ExportedHandlerFetchHandler<Env>)(request as Request<unknown, IncomingRequestCfProperties>, { ...env, OPERATOR_TOKEN }, createExecutionContext());
}

async function list(query = ""): Promise<{ deadLetters: DeadLetter[]; next: string | null }> {
  const response = await operator("GET", `/operator/dead-letters${query}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

async function settle(action: "replay" | "drop", ids: string[]): Promise<Settled> {
  const response = await operator("POST", `/operator/dead-letters/${action}`, { ids });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

/** Hands messages to the Worker's queue handler as the dead-letter queue `queue` would. */
async function deadLetter(queue: string, messages: { id: string; body: unknown }[]) {
  const batch = createMessageBatch(queue, messages.map(({ id, body }) => ({ id, timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await (worker.queue as ExportedHandlerQueueHandler<Env>)(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

/** A Cloudflare Email event as its queue carries it: with the recipient's address, which must never show. */
const emailEvent = (eventId: string) => ({
  type: "cf.email.sending.message.delivered",
  payload: { eventId, messageId: `m-${eventId}`, recipient: "secret.person@example.com", subject: "Your code 123456" },
});

async function performance(): Promise<Performance> {
  // The figures are kept for a minute: jump past it to see the newest.
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 61_000 * (++jumps) });
  try {
    const response = await worker.fetch!(new Request("http://localhost/performance.json") as Request<unknown, IncomingRequestCfProperties>, env, createExecutionContext());
    expect(response.status).toBe(200);
    return (await response.json()) as Performance;
  } finally {
    vi.useRealTimers();
  }
}
let jumps = 0;

describe("the dead-letter queues", () => {
  it("a dispatch message that always fails ends, after the queue's retries, in the dead-letter consumer", async () => {
    const shipmentId = crypto.randomUUID();
    // Not an order's id: every dispatch attempt throws, so the queue retries it (max_retries 10, 1 s apart) and then gives up.
    await env.SMS_QUEUE.send({ orderRef: "not-an-order-id", shipmentId, channel: "sms" }, { contentType: "json" });
    const kept = await eventually(
      () => list("?queue=sms-dispatch-dlq"),
      (page) => page.deadLetters.some((d) => d.ids.shipmentId === shipmentId),
      { timeoutMs: 40_000, intervalMs: 250, what: "the dispatch message among the dead letters" },
    );
    expect(kept.deadLetters.find((d) => d.ids.shipmentId === shipmentId)).toMatchObject({ queue: "sms-dispatch-dlq", originalQueue: "sms-dispatch" });
  }, 60_000);

  it("keeps each once, counts it per day and queue on the performance page, and logs ids only", async () => {
    const before = await performance();
    const lines = captureLogLines();
    const a = `evt-${crypto.randomUUID()}`;
    const b = `evt-${crypto.randomUUID()}`;
    const result = await deadLetter("email-events-dlq", [
      { id: `dl-${a}`, body: emailEvent(a) },
      { id: `dl-${b}`, body: emailEvent(b) },
    ]);
    expect(result.explicitAcks.sort()).toEqual([`dl-${a}`, `dl-${b}`].sort());
    // The queue delivers at least once: the same dead letter again is neither kept nor counted twice.
    await deadLetter("email-events-dlq", [{ id: `dl-${a}`, body: emailEvent(a) }]);

    const kept = (await list("?queue=email-events-dlq")).deadLetters.filter((d) => d.id === `dl-${a}` || d.id === `dl-${b}`);
    expect(kept).toHaveLength(2);
    expect(kept.find((d) => d.id === `dl-${a}`)).toMatchObject({ queue: "email-events-dlq", originalQueue: "email-events", ids: { eventId: a, messageId: `m-${a}`, type: "cf.email.sending.message.delivered" } });
    expect(JSON.stringify(kept)).not.toMatch(/secret\.person|123456/);

    const arrived = lines.filter((l) => l.includes('"dead_letter.arrived"'));
    expect(arrived).toHaveLength(2);
    expect(JSON.parse(arrived[0]!)).toMatchObject({ queue: "email-events-dlq", eventId: expect.any(String) });
    expect(lines.join("\n")).not.toMatch(/secret\.person|123456/);

    const after = await performance();
    const count = (p: Performance) => p.deadLetters?.days.find((d) => d.date === today() && d.queue === "email-events-dlq")?.count ?? 0;
    expect(count(after) - count(before)).toBe(2);
    expect(after.deadLetters!.waiting["email-events-dlq"]).toBeGreaterThanOrEqual(2);
    const page = await (await worker.fetch!(new Request("http://localhost/performance") as Request<unknown, IncomingRequestCfProperties>, env, createExecutionContext())).text();
    expect(page).toContain('<section id="dead-letters">');
    expect(page).toContain("email-events-dlq");
  });

  it("replays a dead letter to its original queue, which handles it, and forgets it", async () => {
    // An SMS whose dispatch message is lost on its way, then found in the dead-letter queue.
    const lost = loseNextQueueMessage(env.SMS_QUEUE);
    const shipmentId = await shipmentIdOf(await postSms(smsRequest()));
    const dispatch = lost.mock.calls.at(-1)![0] as { orderRef: string; shipmentId: string };
    expect(dispatch.shipmentId).toBe(shipmentId);
    vi.restoreAllMocks();
    await deadLetter("sms-dispatch-dlq", [{ id: `dl-${shipmentId}`, body: dispatch }]);

    const sends = spyOnQueue();
    const replayed = await settle("replay", [`dl-${shipmentId}`, "dl-never-kept"]);
    expect(replayed).toEqual({ done: [`dl-${shipmentId}`], unknown: ["dl-never-kept"], failed: [] });
    // Sent by the replay itself (the order's own re-enqueue of a lost message comes only seconds later).
    expect(sends).toHaveBeenCalledWith(dispatch, { contentType: "json" });
    await waitForRecipientStatus(shipmentId, "SMS_Delivered");
    expect((await list("?queue=sms-dispatch-dlq")).deadLetters.map((d) => d.id)).not.toContain(`dl-${shipmentId}`);
    // Gone: a second replay finds nothing to send.
    expect(await settle("replay", [`dl-${shipmentId}`])).toEqual({ done: [], unknown: [`dl-${shipmentId}`], failed: [] });
  });

  it("drops a dead letter (its count stays) and pages the list oldest first", async () => {
    const ids = [0, 1, 2].map((i) => `dl-report-${i}-${crypto.randomUUID()}`);
    for (const id of ids) await deadLetter("provider-reports-dlq", [{ id, body: { shipmentId: crypto.randomUUID(), dedupeKey: "k", source: "twilio", outcome: { kind: "ignore" } } }]);
    const first = await list("?queue=provider-reports-dlq&limit=2");
    expect(first.deadLetters.map((d) => d.id)).toEqual(ids.slice(0, 2));
    expect(first.next).not.toBeNull();
    const second = await list(`?queue=provider-reports-dlq&limit=2&after=${encodeURIComponent(first.next!)}`);
    expect(second.deadLetters.map((d) => d.id)).toEqual(ids.slice(2));
    expect(second.next).toBeNull();

    const sends = spyOnQueue();
    expect(await settle("drop", ids)).toEqual({ done: ids, unknown: [], failed: [] });
    expect(sends).not.toHaveBeenCalled();
    expect((await list("?queue=provider-reports-dlq")).deadLetters).toEqual([]);
    const p = await performance();
    expect(p.deadLetters!.days.find((d) => d.date === today() && d.queue === "provider-reports-dlq")?.count).toBe(3);
    expect(p.deadLetters!.waiting["provider-reports-dlq"]).toBeUndefined();
  });

  it("the routes exist only with OPERATOR_TOKEN, for its bearer, and refuse what is not a list of ids", async () => {
    const noSecret = await (worker.fetch as ExportedHandlerFetchHandler<Env>)(
      new Request("http://localhost/operator/dead-letters") as Request<unknown, IncomingRequestCfProperties>,
      { ...env, OPERATOR_TOKEN: undefined },
      createExecutionContext(),
    );
    expect(noSecret.status).toBe(404);
    expect((await operator("GET", "/operator/dead-letters", undefined, null)).status).toBe(401);
    expect((await operator("POST", "/operator/dead-letters/replay", { ids: [] })).status).toBe(400);
    const bad = await operator("POST", "/operator/dead-letters/drop", { ids: "all" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: Record<string, string[]> }).errors).toHaveProperty("ids");
    const badQueue = await operator("GET", "/operator/dead-letters?queue=sms-dispatch&limit=0");
    expect(((await badQueue.json()) as { errors: Record<string, string[]> }).errors).toEqual({ queue: [expect.any(String)], limit: [expect.any(String)] });
  });
});
