// Which queue a dead letter came from (where a replay sends it), and what of it may be shown: ids only.
import { describe, expect, it } from "vitest";
import { idsOf, isDeadLetterQueue, keptBody, originalQueueOf } from "../../../src/retry/dead-letter-rules";

describe("originalQueueOf", () => {
  it.each([
    ["sms-dispatch-dlq", "sms-dispatch"],
    ["email-dispatch-dlq", "email-dispatch"],
    ["email-events-dlq", "email-events"],
    ["provider-reports-dlq", "provider-reports"],
    ["sms-dispatch-staging-dlq", "sms-dispatch"], // an environment's own queue names
    ["sms-dispatch", null], // not a dead-letter queue
    ["other-dlq", null],
    ["sms-dispatchx-dlq", null],
  ])("%s → %s", (queue, original) => {
    expect(originalQueueOf(queue)).toBe(original);
    expect(isDeadLetterQueue(queue)).toBe(queue.endsWith("-dlq"));
  });
});

describe("idsOf", () => {
  it.each([
    ["a dispatch message", { orderRef: "abc", shipmentId: "5f0c9a3e-0000-4000-8000-000000000001", channel: "sms" }, { shipmentId: "5f0c9a3e-0000-4000-8000-000000000001" }],
    ["a provider report", { shipmentId: "s-1", dedupeKey: "twilio:SM1", source: "twilio", outcome: { kind: "final" } }, { shipmentId: "s-1" }],
    [
      "an email event, without its recipient or subject",
      { type: "cf.email.sending.message.bounced", payload: { eventId: "e-1", messageId: "m-1", recipient: "a@b.example", subject: "code 1234" } },
      { type: "cf.email.sending.message.bounced", eventId: "e-1", messageId: "m-1" },
    ],
    ["an id that is an address is not shown", { shipmentId: "person@example.com" }, {}],
    ["an id with spaces (a text) is not shown", { shipmentId: "Your code is 1234" }, {}],
    ["no object", "just text", {}],
    ["null", null, {}],
  ])("%s", (_, body, ids) => {
    expect(idsOf(body)).toEqual(ids);
  });
});

describe("keptBody", () => {
  const event = { type: "cf.email.sending.message.bounced", payload: { eventId: "e-1", messageId: "m-1", recipient: "a@b.example", subject: "code 1234" } };
  it.each([
    ["an email event keeps everything but its subject", event, { type: event.type, payload: { eventId: "e-1", messageId: "m-1", recipient: "a@b.example" } }],
    ["an email event without a subject is kept as it came", { type: "t", payload: { eventId: "e-2" } }, { type: "t", payload: { eventId: "e-2" } }],
    ["a dispatch message is kept as it came", { orderRef: "abc", shipmentId: "s-1", channel: "sms" }, { orderRef: "abc", shipmentId: "s-1", channel: "sms" }],
    ["a body of another shape is kept as it came", "just text", "just text"],
  ])("%s", (_, body, kept) => {
    expect(keptBody(body)).toEqual(kept);
  });

  it("leaves the message it was given unchanged (a retry of the consumer sees the same body)", () => {
    const copy = structuredClone(event);
    keptBody(event);
    expect(event).toEqual(copy);
  });
});
