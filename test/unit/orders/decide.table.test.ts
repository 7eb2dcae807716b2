// Every hand-over state × every input × recipient status not final / final, through the order's pure
// decisions (src/orders/decide/), against the hand-over's table (decide/handover.ts); each row ends in
// the decision's named result. Impossible pairs (a final status still claimed, say) must refuse: no
// status moves, nothing is handed over again.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decideAlarm, decideAlarmFailure, decideAlarmSucceeded } from "../../../src/orders/decide/alarm";
import { decideClaim, decideRecord, decideRefuse, decideRelease } from "../../../src/orders/decide/dispatch";
import { decideExisting, decideNewOrder } from "../../../src/orders/decide/register";
import { decideReport } from "../../../src/orders/decide/report";
import { decideVerificationEnded } from "../../../src/orders/decide/verification";
import { HANDOVER, HANDOVER_INPUTS, HANDOVER_STATES, handoverAfter, type HandoverInput } from "../../../src/orders/decide/handover";
import type { Decision, Handover, OrderState } from "../../../src/orders/decide/state";
import { timings } from "../../../src/orders/lifecycle";
import type { SmsOrder } from "../../../src/orders/order";
import { senderRefused, type ProviderOutcome } from "../../../src/providers/outcome";
import type { RecipientStatus } from "../../../src/status/statuses";
import { isFinal, transition } from "../../../src/status/transitions";

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
const LEASE_OVER = T0 + 15_000; // the fixture's claim_until
type Input = (s: OrderState) => Decision<unknown>;
const record = (outcome: ProviderOutcome): Input => (s) => decideRecord(s, { shipmentId: "s-1", claimId: "c-1", outcome, provider: "twilio", random: 0.5 }, NOW);
/** Every input of the hand-over's table (src/orders/decide/handover.ts), as a decision call. */
const inputs: Record<HandoverInput, Input> = {
  claim: (s) => decideClaim(s, { shipmentId: "s-1", via: { name: "twilio", idempotent: false }, content: "opened", claimId: "c-2" }, NOW, t),
  "claim, content unreadable": (s) => decideClaim(s, { shipmentId: "s-1", via: { name: "twilio", idempotent: false }, content: "unreadable", claimId: "c-2" }, NOW, t),
  "claim, verification ended": (s) => decideClaim(s, { shipmentId: "s-1", via: { name: "twilio", idempotent: false }, content: "opened", claimId: "c-2" }, NOW, t),
  "record accepted": record(outcomes.accepted!),
  "record final": record(outcomes.final!),
  "record transient": record(outcomes.transient!),
  "record unknown": record(outcomes.unknown!),
  "record progress": record(outcomes.progress!),
  "record ignore": record(outcomes.ignore!),
  "report delivered": (s) => decideReport(s, { shipmentId: "s-1", outcome: { kind: "final", status: "SMS_Delivered" }, dedupeKey: "r-1", source: "twilio report", seen: false }, NOW),
  "report transient": (s) => decideReport(s, { shipmentId: "s-1", outcome: { kind: "transient", detail: "queued" }, dedupeKey: "r-2", source: "twilio report", seen: false }, NOW),
  release: (s) => decideRelease(s, { shipmentId: "s-1", claimId: "c-1" }, NOW),
  refuse: (s) => decideRefuse(s, { shipmentId: "s-1", reason: "no usable SMS provider is configured" }, NOW),
  "alarm, nothing due": (s) => decideAlarm({ ...s, enqueued: 1, dispatch_at: NOW }, NOW, t),
  "alarm, lease over": (s) => decideAlarm({ ...s, enqueued: 1, dispatch_at: LEASE_OVER }, LEASE_OVER, t),
  "alarm, past the report deadline": (s) => decideAlarm(s, DEADLINE + t.reportGraceMs, t),
  "verification ended": (s) => decideVerificationEnded(s, { shipmentId: "s-1" }, NOW),
};
/** The order an input needs besides its hand-over state: a verification's message, its verification ended or not. */
const orderFor: Partial<Record<HandoverInput, Partial<OrderState>>> = {
  "claim, verification ended": { verification_id: "v-1", verification_ended: 1 },
  "verification ended": { verification_id: "v-1", verification_ended: 0 },
};

/** A decision's named result: a claim's `send` or skip reason, a report's kind, the code the others answer ("–": none). */
function resultOf(answer: unknown): string {
  if (answer === undefined) return "–";
  if (typeof answer === "string") return answer;
  const a = answer as { kind: string; reason?: string };
  return a.kind === "skip" ? a.reason! : a.kind;
}

type Row = [string, string, string, string, string];
/** Each input's named result in every hand-over state, while the recipient status is not final. */
const resultNotFinal: Record<HandoverInput, Row> = {
  //                                   waiting               claimed             in_doubt            accepted            done
  claim:                              ["send",               "claimed",          "in_doubt",         "accepted",         "done"],
  "claim, content unreadable":        ["content_unreadable", "claimed",          "in_doubt",         "accepted",         "done"],
  "claim, verification ended":        ["verification_ended", "claimed",          "in_doubt",         "accepted",         "done"],
  "record accepted":                  ["not_this_claim",     "recorded",         "recorded",         "settled_already",  "settled_already"],
  "record final":                     ["not_this_claim",     "recorded",         "recorded",         "settled_already",  "settled_already"],
  "record transient":                 ["not_this_claim",     "recorded",         "recorded",         "settled_already",  "settled_already"],
  "record unknown":                   ["not_this_claim",     "recorded",         "recorded",         "settled_already",  "settled_already"],
  "record progress":                  ["not_this_claim",     "recorded",         "recorded",         "settled_already",  "settled_already"],
  "record ignore":                    ["not_this_claim",     "recorded",         "recorded",         "settled_already",  "settled_already"],
  "report delivered":                 ["applied",            "applied",          "applied",          "applied",          "applied"],
  "report transient":                 ["recorded",           "recorded",         "recorded",         "recorded",         "recorded"],
  release:                            ["not_this_claim",     "released",         "not_claimed",      "not_claimed",      "not_claimed"],
  refuse:                             ["refused",            "not_waiting",      "not_waiting",      "not_waiting",      "not_waiting"],
  "alarm, nothing due":               ["–",                  "–",                "–",                "–",                "–"],
  "alarm, lease over":                ["–",                  "–",                "–",                "–",                "–"],
  "alarm, past the report deadline":  ["–",                  "–",                "–",                "–",                "–"],
  "verification ended":               ["not_sent",           "erased",           "erased",           "settled",          "settled"],
};
/** The same once the recipient status is final: every decision refuses, nothing moves. */
const resultFinal: Record<HandoverInput, Row> = {
  //                                   waiting               claimed             in_doubt            accepted            done
  claim:                              ["final",              "final",            "final",            "final",            "final"],
  "claim, content unreadable":        ["final",              "final",            "final",            "final",            "final"],
  "claim, verification ended":        ["final",              "final",            "final",            "final",            "final"],
  "record accepted":                  ["not_this_claim",     "settled_already",  "settled_already",  "settled_already",  "settled_already"],
  "record final":                     ["not_this_claim",     "settled_already",  "settled_already",  "settled_already",  "settled_already"],
  "record transient":                 ["not_this_claim",     "settled_already",  "settled_already",  "settled_already",  "settled_already"],
  "record unknown":                   ["not_this_claim",     "settled_already",  "settled_already",  "settled_already",  "settled_already"],
  "record progress":                  ["not_this_claim",     "settled_already",  "settled_already",  "settled_already",  "settled_already"],
  "record ignore":                    ["not_this_claim",     "settled_already",  "settled_already",  "settled_already",  "settled_already"],
  "report delivered":                 ["recorded",           "recorded",         "recorded",         "recorded",         "recorded"],
  "report transient":                 ["recorded",           "recorded",         "recorded",         "recorded",         "recorded"],
  release:                            ["not_this_claim",     "final",            "not_claimed",      "not_claimed",      "not_claimed"],
  refuse:                             ["final",              "final",            "final",            "final",            "final"],
  "alarm, nothing due":               ["–",                  "–",                "–",                "–",                "–"],
  "alarm, lease over":                ["–",                  "–",                "–",                "–",                "–"],
  "alarm, past the report deadline":  ["–",                  "–",                "–",                "–",                "–"],
  "verification ended":               ["settled",            "settled",          "settled",          "settled",          "settled"],
};
/** The recipient status that follows, while not final (same columns); "=" unchanged. */
const statusAfter: Partial<Record<HandoverInput, (RecipientStatus | "=")[]>> = {
  //                                   waiting               claimed                          in_doubt                         accepted          done
  claim:                              ["SMS_Sending",        "=",                             "=",                             "=",              "="],
  "claim, content unreadable":        ["SMS_Failed",         "=",                             "=",                             "=",              "="],
  "claim, verification ended":        ["SMS_Failed",         "=",                             "=",                             "=",              "="],
  "verification ended":               ["SMS_Failed",         "=",                             "=",                             "=",              "="],
  "record accepted":                  ["=",                  "SMS_Accepted",                  "SMS_Accepted",                  "=",              "="],
  "record final":                     ["=",                  "SMS_Failed_InvalidRecipient",   "SMS_Failed_InvalidRecipient",   "=",              "="],
  "report delivered":                 ["SMS_Delivered",      "SMS_Delivered",                 "SMS_Delivered",                 "SMS_Delivered",  "SMS_Delivered"],
  refuse:                             ["SMS_Failed",         "=",                             "=",                             "=",              "="],
  "alarm, past the report deadline":  ["SMS_Failed_TTL",     "SMS_Failed_TTL",                "SMS_Failed_TTL",                "SMS_Failed_TTL", "SMS_Failed_TTL"],
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
  // A decision that changes the row says so (never the unchanged state), and one that changes nothing keeps it.
  const rowChanged = (Object.keys(before) as (keyof OrderState)[]).some((column) => after[column] !== before[column]);
  if (!rowChanged) expect(after).toBe(before);
}

describe("the hand-over's table (src/orders/decide/handover.ts): every state × every input", () => {
  for (const input of HANDOVER_INPUTS) {
    describe(input, () => {
      HANDOVER_STATES.forEach((handover, i) => {
        const next = handoverAfter(handover, input);
        it(`${handover}, recipient not final → ${next}, ${resultNotFinal[input][i]}`, () => {
          const before = orderState(handover, false, orderFor[input]);
          const d = inputs[input](before);
          checkInvariants(before, d);
          expect(d.state.handover).toBe(next);
          expect(resultOf(d.answer)).toBe(resultNotFinal[input][i]);
          const status = statusAfter[input]?.[i] ?? "=";
          expect(d.state.status).toBe(status === "=" ? before.status : status);
          expect(d.effects).toEqual([]);
        });
        it(`${handover}, recipient final → refused (${resultFinal[input][i]}): status and hand-over stay`, () => {
          const before = orderState(handover, true, orderFor[input]);
          const d = inputs[input](before);
          checkInvariants(before, d);
          expect(resultOf(d.answer)).toBe(resultFinal[input][i]);
          expect(d.effects).toEqual([]);
        });
      });
    });
  }

  it("the retention period over: a final order is forgotten, one not final is made final first (TTL)", () => {
    for (const handover of HANDOVER_STATES) {
      expect(decideAlarm(orderState(handover, true), T0 + t.retentionMs, t).effects).toEqual([{ kind: "forget" }]);
      const notFinal = decideAlarm(orderState(handover, false), T0 + t.retentionMs, t);
      expect(notFinal.state.status).toBe("SMS_Failed_TTL");
      expect(notFinal.effects).toEqual([]);
    }
  });

  it("docs/order-lifecycle.md shows the same table", () => {
    const docs = readFileSync(join(import.meta.dirname, "..", "..", "..", "docs", "order-lifecycle.md"), "utf8");
    const code = (name: string) => `\`${name}\``;
    for (const state of HANDOVER_STATES) {
      const { meaning, leaves } = HANDOVER[state];
      const moves = Object.entries(leaves).map(([input, to]) => `${input} → ${code(to)}`);
      expect(docs).toContain(`| ${code(state)} | ${meaning} | ${moves.length > 0 ? moves.join("; ") : "(stays)"} |`);
    }
  });
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
    expect(late.answer).toEqual({ kind: "skip", reason: "deadline_passed" });
    expect(late.state).toMatchObject({ handover: "done", status: "SMS_Failed_TTL" });
  });

  it("claim: a lease never outlasts the lifetime left", () => {
    const d = decideClaim(orderState("waiting", false), { shipmentId: "s-1", content: "opened", claimId: "c" }, DEADLINE - 3_000, t);
    expect(d.answer).toMatchObject({ kind: "send", timeoutMs: 3_000 });
  });

  it("claim: an unreadable body fails at once, never claimed, never 'maybe sent'", () => {
    const d = decideClaim(orderState("waiting", false), { shipmentId: "s-1", content: "unreadable", claimId: "c" }, NOW, t);
    expect(d.answer).toEqual({ kind: "skip", reason: "content_unreadable" });
    expect(d.state).toMatchObject({ handover: "done", status: "SMS_Failed", attempts: 0 });
    expect(d.eraseContent).toBe(true);
  });

  it("claim: a retry not yet due, another shipment's message, and a pin to another provider all skip without a change", () => {
    const s = orderState("waiting", false, { dispatch_at: NOW + 500 });
    expect(decideClaim(s, { shipmentId: "s-1", content: "opened", claimId: "c" }, NOW, t)).toMatchObject({ state: s, events: [], answer: { reason: "retry_not_due" } });
    expect(decideClaim(s, { shipmentId: "s-2", content: "opened", claimId: "c" }, NOW, t)).toMatchObject({ state: s, answer: { reason: "unknown_shipment" } });
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

  it("alarm: a failed run counts and backs off, never past the deadline; a run that succeeds starts the count again", () => {
    const s = orderState("accepted", false);
    const failed = decideAlarmFailure(s, NOW);
    expect(failed.state.alarm_failures).toBe(1);
    expect(failed.answer).toEqual({ retryAt: NOW + 1_000 });
    expect(decideAlarmFailure({ ...s, alarm_failures: 9 }, DEADLINE - 10).answer).toEqual({ retryAt: DEADLINE });
    expect(decideAlarmSucceeded(failed.state, NOW).state.alarm_failures).toBe(0);
    expect(decideAlarmSucceeded(s, NOW).state).toBe(s); // nothing to start again: the row as it was
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

  it("a number that cannot take an SMS is registered final at once: two events through the draft, the content erased", () => {
    const d = register({ ...sms, noSms: "The number is a fixed line." });
    expect(d.state).toMatchObject({ status: "SMS_Failed_InvalidRecipient", handover: "done", change_seq: 2, last_update: T0 });
    expect(d.events).toEqual([
      { status: "SMS_New", applied: true, source: "registration", at: T0 },
      { status: "SMS_Failed_InvalidRecipient", applied: true, source: "registration", detail: "The number is a fixed line. Nothing was sent.", at: T0 },
    ]);
    expect(d.eraseContent).toBe(true);
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

describe("a verification's end, as its message's order takes it (decide/verification.ts)", () => {
  const message = (handover: Handover, final = false) => orderState(handover, final, { verification_id: "v-1", verification_ended: 0 });

  it("a message still waiting is not sent: SMS_Failed with the contract's description, its content erased", () => {
    const d = decideVerificationEnded(message("waiting"), { shipmentId: "s-1" }, NOW);
    expect(d.answer).toEqual({ kind: "not_sent", status: "SMS_Failed", handedOver: false, provider: null });
    expect(d.state).toMatchObject({ status: "SMS_Failed", status_detail: "not sent: its verification had ended", handover: "done", verification_ended: 1 });
    expect(d.eraseContent).toBe(true);
    expect(d.events).toMatchObject([{ status: "SMS_Failed", applied: true, source: "verification", detail: "not sent: its verification had ended" }]);
  });

  it("a call in flight cannot be taken back: the content is erased, the status stays, and a later claim fails it unsent", () => {
    const d = decideVerificationEnded(message("claimed"), { shipmentId: "s-1" }, NOW);
    expect(d.answer?.kind).toBe("erased");
    expect(d.eraseContent).toBe(true);
    expect(d.state.status).toBe("SMS_Sending");
    // The provider answered "try again": the retry's claim finds the verification ended.
    const retry = decideClaim({ ...d.state, handover: "waiting", claim_id: null }, { shipmentId: "s-1", content: "unreadable", claimId: "c-3" }, NOW, t);
    expect(retry.answer).toEqual({ kind: "skip", reason: "verification_ended" });
    expect(retry.state).toMatchObject({ status: "SMS_Failed", status_detail: "not sent: its verification had ended" });
  });

  it("a message handed over keeps its status and names its provider; a second end changes nothing", () => {
    const d = decideVerificationEnded(message("accepted"), { shipmentId: "s-1" }, NOW);
    expect(d.answer).toEqual({ kind: "settled", status: "SMS_Accepted", handedOver: true, provider: "twilio" });
    expect(d.eraseContent).toBe(false);
    const again = decideVerificationEnded(d.state, { shipmentId: "s-1" }, NOW + 1);
    expect(again.state).toBe(d.state);
    expect(again.events).toEqual([]);
  });

  it("another shipment's end is not this order's", () => {
    const before = message("waiting");
    const d = decideVerificationEnded(before, { shipmentId: "s-2" }, NOW);
    expect(d.answer).toBeNull();
    expect(d.state).toBe(before);
  });
});
