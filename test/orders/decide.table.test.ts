// Every hand-over state × every input × recipient status not final / final, through the order's pure
// decisions (src/orders/decide/). Impossible pairs (a final status still claimed, say) must refuse:
// no status moves, nothing is handed over again.
import { describe, expect, it } from "vitest";
import { decideAlarm } from "../../src/orders/decide/alarm";
import { decideClaim, decideRecord, decideRefuse, decideRelease } from "../../src/orders/decide/dispatch";
import { decideExisting, decideNewOrder } from "../../src/orders/decide/register";
import { decideReport } from "../../src/orders/decide/report";
import type { Decision, Handover, OrderState } from "../../src/orders/decide/state";
import { timings } from "../../src/orders/lifecycle";
import type { SmsOrder } from "../../src/orders/order";
import { senderRefused, type ProviderOutcome } from "../../src/providers/outcome";
import type { RecipientStatus } from "../../src/status/statuses";
import { isFinal, transition } from "../../src/status/transitions";

const t = timings({ SMS_REPORT_GRACE_SECONDS: "300", RETENTION_DAYS: "90", PROVIDER_TIMEOUT_MS: "10000" });
const T0 = 1_000_000;
const DEADLINE = T0 + 120_000;

export function orderState(handover: Handover, final: boolean, patch: Partial<OrderState> = {}): OrderState {
  const progress: Record<Handover, RecipientStatus> = { waiting: "SMS_New", claimed: "SMS_Sending", in_doubt: "SMS_Sending", accepted: "SMS_Accepted", done: "SMS_Sending" };
  return {
    org: "ttd",
    shipment_id: "s-1",
    order_id: "o-1",
    idempotency_id: "k-1",
    senders_reference: null,
    channel: "sms",
    destination: "+4790000001",
    sender: "Altinn",
    content_type: null,
    fingerprint: "f",
    salt: "salt",
    response: JSON.stringify({ notificationOrderId: "o-1", notification: { shipmentId: "s-1" } }),
    created_at: T0,
    deadline: DEADLINE,
    status: final ? "SMS_Delivered" : progress[handover],
    last_update: T0 + 1,
    handover,
    dispatch_at: T0,
    enqueued: 1,
    redispatches: 0,
    claim_id: handover === "waiting" ? null : "c-1",
    claim_until: handover === "claimed" ? T0 + 15_000 : 0,
    attempts: handover === "waiting" ? 0 : 1,
    provider_ref: handover === "accepted" ? "ref-1" : null,
    claim_provider: handover === "waiting" ? null : "twilio",
    claim_idempotent: 0,
    pinned_provider: null,
    shard: "DB",
    change_seq: 3,
    pushed_seq: 3,
    alarm_failures: 0,
    ...patch,
  };
}

const outcomes: Record<string, ProviderOutcome> = {
  accepted: { kind: "accepted", status: "SMS_Accepted", providerRef: "ref-1" },
  final: { kind: "final", status: "SMS_Failed_InvalidRecipient", detail: "21211" },
  transient: { kind: "transient", detail: "503" },
  unknown: { kind: "unknown", detail: "timeout" },
  progress: { kind: "progress", status: "SMS_Accepted" },
  ignore: { kind: "ignore" },
};

const NOW = T0 + 1_000; // within the deadline, the claim's lease still running
type Input = (s: OrderState) => Decision<unknown>;
const inputs: Record<string, Input> = {
  claim: (s) => decideClaim(s, { shipmentId: "s-1", via: { name: "twilio", idempotent: false }, content: "opened", claimId: "c-2" }, NOW, t),
  ...Object.fromEntries(Object.entries(outcomes).map(([kind, outcome]) => [`record ${kind}`, (s: OrderState) => decideRecord(s, { shipmentId: "s-1", claimId: "c-1", outcome, provider: "twilio", random: 0.5 }, NOW)])),
  "report delivered": (s) => decideReport(s, { shipmentId: "s-1", outcome: { kind: "final", status: "SMS_Delivered" }, dedupeKey: "r-1", source: "twilio report", seen: false }, NOW),
  "report transient": (s) => decideReport(s, { shipmentId: "s-1", outcome: { kind: "transient", detail: "queued" }, dedupeKey: "r-2", source: "twilio report", seen: false }, NOW),
  release: (s) => decideRelease(s, { shipmentId: "s-1", claimId: "c-1" }, NOW),
  refuse: (s) => decideRefuse(s, { shipmentId: "s-1", reason: "no usable SMS provider is configured" }, NOW),
  "alarm, nothing due": (s) => decideAlarm({ ...s, enqueued: 1, dispatch_at: NOW }, NOW, t),
  "alarm, past the report deadline": (s) => decideAlarm(s, DEADLINE + t.reportGraceMs, t),
  "alarm, retention over": (s) => decideAlarm(s, T0 + t.retentionMs, t),
};

const H: Handover[] = ["waiting", "claimed", "in_doubt", "accepted", "done"];
/** The next hand-over state while the recipient is not final: [waiting, claimed, in_doubt, accepted, done]. */
const notFinal: Record<string, [Handover, Handover, Handover, Handover, Handover]> = {
  claim: ["claimed", "claimed", "in_doubt", "accepted", "done"],
  "record accepted": ["waiting", "accepted", "accepted", "accepted", "done"],
  "record final": ["waiting", "done", "done", "accepted", "done"],
  "record transient": ["waiting", "waiting", "waiting", "accepted", "done"],
  "record unknown": ["waiting", "in_doubt", "in_doubt", "accepted", "done"],
  "record progress": ["waiting", "claimed", "in_doubt", "accepted", "done"],
  "record ignore": ["waiting", "claimed", "in_doubt", "accepted", "done"],
  "report delivered": ["accepted", "accepted", "accepted", "accepted", "done"],
  "report transient": ["waiting", "claimed", "in_doubt", "accepted", "done"],
  release: ["waiting", "waiting", "in_doubt", "accepted", "done"],
  refuse: ["done", "claimed", "in_doubt", "accepted", "done"],
  "alarm, nothing due": ["waiting", "claimed", "in_doubt", "accepted", "done"],
  "alarm, past the report deadline": ["done", "in_doubt", "in_doubt", "accepted", "done"],
  "alarm, retention over": ["done", "in_doubt", "in_doubt", "accepted", "done"],
};
/** The recipient status that follows, while not final (same order of hand-over states); "=" unchanged. */
const statusAfter: Record<string, (RecipientStatus | "=")[]> = {
  claim: ["SMS_Sending", "=", "=", "=", "="],
  "record accepted": ["=", "SMS_Accepted", "SMS_Accepted", "=", "="],
  "record final": ["=", "SMS_Failed_InvalidRecipient", "SMS_Failed_InvalidRecipient", "=", "="],
  "report delivered": ["SMS_Delivered", "SMS_Delivered", "SMS_Delivered", "SMS_Delivered", "SMS_Delivered"],
  refuse: ["SMS_Failed", "=", "=", "=", "="],
  "alarm, past the report deadline": ["SMS_Failed_TTL", "SMS_Failed_TTL", "SMS_Failed_TTL", "SMS_Failed_TTL", "SMS_Failed_TTL"],
  "alarm, retention over": ["SMS_Failed_TTL", "SMS_Failed_TTL", "SMS_Failed_TTL", "SMS_Failed_TTL", "SMS_Failed_TTL"],
};

/** What holds for every decision: forward only, final sticky, the version counts every change, no second hand-over. */
function checkInvariants(before: OrderState, d: Decision<unknown>) {
  const after = d.state;
  if (after.status !== before.status) expect(transition(before.status, after.status).applied).toBe(true);
  if (isFinal(before.status)) {
    expect(after.status).toBe(before.status);
    expect(after.last_update).toBe(before.last_update);
    expect(after.handover).toBe(before.handover);
    expect(d.events.every((e) => !e.applied)).toBe(true);
  }
  for (const column of ["org", "shipment_id", "order_id", "destination", "created_at", "deadline", "fingerprint", "response"] as const) expect(after[column]).toBe(before[column]);
  const refChanged = after.provider_ref !== before.provider_ref ? 1 : 0;
  expect(after.change_seq).toBe(before.change_seq + d.events.length + refChanged);
  if ((d.answer as { kind?: string } | undefined)?.kind === "send") {
    expect(before.handover).toBe("waiting");
    expect(isFinal(before.status)).toBe(false);
  }
  if (["accepted", "done", "in_doubt"].includes(before.handover)) expect(after.handover).not.toBe("claimed");
  if ((after.handover === "accepted" || after.handover === "done") && after.handover !== before.handover) expect(d.eraseContent).toBe(true);
  if (isFinal(after.status) && !isFinal(before.status)) expect(d.eraseContent).toBe(true);
}

describe("the order's decisions, every hand-over state × every input", () => {
  for (const [name, decide] of Object.entries(inputs)) {
    describe(name, () => {
      H.forEach((handover, i) => {
        it(`${handover}, recipient not final → ${notFinal[name]![i]}`, () => {
          const before = orderState(handover, false);
          const d = decide(before);
          checkInvariants(before, d);
          expect(d.state.handover).toBe(notFinal[name]![i]);
          const status = statusAfter[name]?.[i] ?? "=";
          expect(d.state.status).toBe(status === "=" ? before.status : status);
          expect(d.effects).toEqual([]);
        });
        it(`${handover}, recipient final → refused: status and hand-over stay`, () => {
          const before = orderState(handover, true);
          const d = decide(before);
          checkInvariants(before, d);
          expect(d.effects).toEqual(name === "alarm, retention over" ? [{ kind: "forget" }] : []);
          if (name === "claim") expect(d.answer).toEqual({ kind: "skip", reason: "final" });
        });
      });
    });
  }
});

describe("decisions that need more than the table", () => {
  it("registration of a known key: the stored answer either way, a different request marked as a conflict, nothing changed", () => {
    const row = orderState("accepted", false);
    const stored = { notificationOrderId: "o-1", notification: { shipmentId: "s-1" } };
    expect(decideExisting(row, true)).toEqual({ kind: "replayed", response: stored });
    expect(decideExisting(row, false)).toEqual({ kind: "conflict", response: stored });
  });

  it("claim: hands over at most once, and never past the deadline", () => {
    const waiting = orderState("waiting", false);
    const claimed = decideClaim(waiting, { shipmentId: "s-1", content: "opened", claimId: "c-9" }, NOW, t);
    expect(claimed.answer).toEqual({ kind: "send", claimId: "c-9", timeoutMs: 10_000, deadline: waiting.deadline, org: waiting.org });
    expect(claimed.state).toMatchObject({ handover: "claimed", claim_id: "c-9", attempts: 1, claim_until: NOW + 10_000 + t.leaseMarginMs });
    expect(decideClaim(claimed.state, { shipmentId: "s-1", content: "opened", claimId: "c-10" }, NOW, t).answer).toEqual({ kind: "skip", reason: "claimed" });
    const late = decideClaim(waiting, { shipmentId: "s-1", content: "opened", claimId: "c-9" }, DEADLINE, t);
    expect(late.answer).toEqual({ kind: "skip", reason: "deadline passed" });
    expect(late.state).toMatchObject({ handover: "done", status: "SMS_Failed_TTL" });
  });

  it("claim: a lease never outlasts the lifetime left", () => {
    const d = decideClaim(orderState("waiting", false), { shipmentId: "s-1", content: "opened", claimId: "c" }, DEADLINE - 3_000, t);
    expect(d.answer).toMatchObject({ kind: "send", timeoutMs: 3_000 });
  });

  it("claim: an unreadable body fails at once, never claimed, never 'maybe sent'", () => {
    const d = decideClaim(orderState("waiting", false), { shipmentId: "s-1", content: "unreadable", claimId: "c" }, NOW, t);
    expect(d.answer).toEqual({ kind: "skip", reason: "content unreadable" });
    expect(d.state).toMatchObject({ handover: "done", status: "SMS_Failed", attempts: 0 });
    expect(d.eraseContent).toBe(true);
  });

  it("claim: a retry not yet due, another shipment's message, and a pin to another provider all skip without a change", () => {
    const s = orderState("waiting", false, { dispatch_at: NOW + 500 });
    expect(decideClaim(s, { shipmentId: "s-1", content: "opened", claimId: "c" }, NOW, t)).toMatchObject({ state: s, events: [], answer: { reason: "retry not due" } });
    expect(decideClaim(s, { shipmentId: "s-2", content: "opened", claimId: "c" }, NOW, t)).toMatchObject({ state: s, answer: { reason: "unknown shipment" } });
    const pinned = orderState("waiting", false, { pinned_provider: "link" });
    expect(decideClaim(pinned, { shipmentId: "s-1", via: { name: "twilio", idempotent: false }, content: "opened", claimId: "c" }, NOW, t).answer).toEqual({
      kind: "skip",
      reason: "pinned",
      pinnedTo: "link",
    });
    expect(decideClaim(pinned, { shipmentId: "s-1", via: { name: "link", idempotent: true }, content: "opened", claimId: "c" }, NOW, t).answer.kind).toBe("send");
  });

  it("record: a refused sender fails the SMS at once, with the reason, whatever status the map gave", () => {
    const s = orderState("claimed", false);
    const refused: ProviderOutcome = { ...senderRefused("twilio 21212"), status: "SMS_Failed_Rejected" };
    const d = decideRecord(s, { shipmentId: "s-1", claimId: "c-1", outcome: refused, provider: "twilio", random: 0 }, NOW);
    expect(d.state).toMatchObject({ status: "SMS_Failed", handover: "done" });
    expect(d.events).toEqual([
      { status: "SMS_Failed", applied: true, source: "provider twilio", detail: "the provider refused the sender (twilio 21212); nothing was sent", at: NOW },
    ]);
    expect(d.eraseContent).toBe(true);
  });

  it("record: an answer for another claim changes nothing", () => {
    const s = orderState("claimed", false);
    const d = decideRecord(s, { shipmentId: "s-1", claimId: "c-other", outcome: outcomes.accepted!, random: 0 }, NOW);
    expect(d.state).toBe(s);
    expect(d.events).toEqual([]);
  });

  it("record: a transient failure retries by the backoff, or waits at the deadline when no retry fits", () => {
    const s = orderState("claimed", false);
    const retry = decideRecord(s, { shipmentId: "s-1", claimId: "c-1", outcome: { kind: "transient", retryAfterMs: 2_000 }, random: 0 }, NOW);
    expect(retry.state).toMatchObject({ handover: "waiting", enqueued: 0, dispatch_at: NOW + 2_000 });
    const noRoom = decideRecord(s, { shipmentId: "s-1", claimId: "c-1", outcome: { kind: "transient" }, random: 0 }, DEADLINE - 10);
    expect(noRoom.state.dispatch_at).toBe(DEADLINE);
  });

  it("record: a lost answer at a provider that honours our key is asked again there, pinned", () => {
    const s = orderState("claimed", false, { claim_idempotent: 1, claim_provider: "link" });
    const d = decideRecord(s, { shipmentId: "s-1", claimId: "c-1", outcome: outcomes.unknown!, random: 0 }, NOW);
    expect(d.state).toMatchObject({ handover: "waiting", pinned_provider: "link", dispatch_at: NOW, enqueued: 0 });
  });

  it("record: an acceptance after a report settled the hand-over keeps the provider's id only", () => {
    const s = orderState("accepted", false, { provider_ref: null });
    const d = decideRecord(s, { shipmentId: "s-1", claimId: "c-1", outcome: outcomes.accepted!, random: 0 }, NOW);
    expect(d.state).toMatchObject({ handover: "accepted", provider_ref: "ref-1", change_seq: s.change_seq + 1 });
    expect(d.events).toEqual([]);
  });

  it("report: a repeat is a duplicate, another message's report is unknown, and the first is remembered", () => {
    const s = orderState("accepted", false);
    const input = { shipmentId: "s-1", outcome: { kind: "final", status: "SMS_Delivered" } as ProviderOutcome, dedupeKey: "r-1", source: "twilio report" };
    expect(decideReport(s, { ...input, seen: true }, NOW)).toMatchObject({ state: s, events: [], answer: { kind: "duplicate" } });
    expect(decideReport(s, { ...input, seen: false, providerRef: "ref-other" }, NOW)).toMatchObject({ state: s, answer: { kind: "unknown" } });
    const first = decideReport(s, { ...input, seen: false }, NOW);
    expect(first).toMatchObject({ seenReport: "r-1", answer: { kind: "applied" } });
    const late = decideReport(first.state, { ...input, dedupeKey: "r-3", outcome: { kind: "progress", status: "SMS_Accepted" }, seen: false }, NOW);
    expect(late).toMatchObject({ answer: { kind: "recorded" } });
    expect(late.state.status).toBe("SMS_Delivered");
  });

  it("alarm: re-dispatches a due retry (stored first, then the enqueue effect) and a lost message, with a growing wait", () => {
    const due = orderState("waiting", false, { enqueued: 0, dispatch_at: NOW });
    const d = decideAlarm(due, NOW, t);
    expect(d.state).toMatchObject({ enqueued: 1, dispatch_at: NOW, redispatches: 1 });
    expect(d.effects).toEqual([{ kind: "enqueue" }]);
    expect(decideAlarm(d.state, NOW + t.lostMessageAfterMs, t).effects).toEqual([]); // the wait has doubled
    expect(decideAlarm(d.state, NOW + 2 * t.lostMessageAfterMs, t).effects).toEqual([{ kind: "enqueue" }]);
  });

  it("alarm: an expired claim goes in doubt (or back to a provider that honours our key)", () => {
    const expired = orderState("claimed", false);
    expect(decideAlarm(expired, expired.claim_until, t).state.handover).toBe("in_doubt");
    const idempotent = orderState("claimed", false, { claim_idempotent: 1, claim_provider: "link" });
    const d = decideAlarm(idempotent, idempotent.claim_until, t);
    expect(d.state).toMatchObject({ handover: "waiting", pinned_provider: "link" });
    expect(d.effects).toEqual([{ kind: "enqueue" }]); // due at once: a new message for the pinned provider
  });

  it("alarm: an SMS handed over waits for its report until the grace is over; an e-mail does not", () => {
    const sms = orderState("accepted", false);
    expect(decideAlarm(sms, DEADLINE, t).state.status).toBe("SMS_Accepted");
    expect(decideAlarm(sms, DEADLINE + t.reportGraceMs, t).state.status).toBe("SMS_Failed_TTL");
    const email = orderState("accepted", false, { channel: "email", status: "Email_Succeeded" });
    expect(decideAlarm(email, DEADLINE, t).state.status).toBe("Email_Failed_TTL");
  });
});

describe("registration and a replaced sender", () => {
  const response = { notificationOrderId: "o-1", notification: { shipmentId: "s-1" } };
  const sms: SmsOrder = { channel: "sms", idempotencyId: "k", phoneNumber: "+4799999999", timeToLiveInSeconds: 120, sender: "(TEST) Instant SMS Test", body: "Code 1" };
  const replaced: SmsOrder = { ...sms, senderReplaced: { by: "Altinn", reason: "'(' is not carried by twilio" } };
  const register = (order: SmsOrder) => decideNewOrder({ org: "ttd", order, shipmentId: "s-1", response, salt: "salt", fingerprint: "f" }, T0, t);

  it("stores the default to send and says why in the registration's event", () => {
    const d = register(replaced);
    expect(d.state.sender).toBe("Altinn");
    expect(d.events).toEqual([
      { status: "SMS_New", applied: true, source: "registration", detail: "sender replaced by the default (Altinn): '(' is not carried by twilio", at: T0 },
    ]);
    expect(d.state.change_seq).toBe(1);
  });

  it("stores a sender it carries as given, with no note", () => {
    const d = register({ ...sms, sender: "Altinn-test" });
    expect(d.state.sender).toBe("Altinn-test");
    expect(d.events).toEqual([{ status: "SMS_New", applied: true, source: "registration", at: T0 }]);
  });

  it("a replay of the same request says the sender was replaced, as the 201 did; one sent as given does not", () => {
    expect(decideExisting(register(replaced).state, true, replaced)).toEqual({ kind: "replayed", response, senderReplaced: true });
    const asGiven = { ...sms, sender: "Altinn-test" };
    expect(decideExisting(register(asGiven).state, true, asGiven)).toEqual({ kind: "replayed", response });
    expect(decideExisting(register(replaced).state, false, replaced)).toEqual({ kind: "conflict", response });
  });
});
