// The statistics' pure parts: latency buckets, facts read from a change, figures from rollup rows.
import { describe, expect, it } from "vitest";
import { writeFinals } from "../../../src/store/stats-analytics";
import { bucketOf, percentile, valueOf } from "../../../src/store/stats-buckets";
import { factsOf } from "../../../src/store/stats-facts";
import { conversionPercent, daysBetween, figuresOf, within10sPercent } from "../../../src/stats/figures";
import type { ShipmentState, StatusEventRow } from "../../../src/store/changes";

describe("latency buckets", () => {
  it("stand for every latency within 10 % or 1 ms, whichever is larger", () => {
    for (let ms = 0; ms < 3_000_000; ms += ms < 2_000 ? 1 : 997) {
      const error = Math.abs(valueOf(bucketOf(ms)) - ms);
      expect(error, `${ms} ms`).toBeLessThanOrEqual(Math.max(1, ms * 0.1));
    }
    for (const ms of [86_400_000, 172_800_000 + 300_000]) expect(Math.abs(valueOf(bucketOf(ms)) - ms)).toBeLessThanOrEqual(ms * 0.1);
  });

  it("are few: two days fit in about 200", () => {
    expect(bucketOf(172_800_000 + 300_000)).toBeLessThan(220);
    expect(bucketOf(-5)).toBe(0);
  });

  it.each([
    [[10, 20, 30, 40, 50], 0.5, 30],
    [[10, 20, 30, 40, 50], 0.95, 50],
    [[7], 0.5, 7],
  ])("percentile of %j at %d is %d (nearest rank)", (latencies, p, expected) => {
    const buckets = new Map<number, number>();
    for (const ms of latencies) buckets.set(bucketOf(ms), (buckets.get(bucketOf(ms)) ?? 0) + 1);
    expect(percentile(buckets, p)).toBe(expected);
  });

  it("has no percentile without latencies", () => expect(percentile(new Map(), 0.5)).toBeNull());
});

const T0 = Date.parse("2026-12-05T10:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();
const ev = (seq: number, status: StatusEventRow["status"], source: string, ms: number, detail: string | null = null, applied = true): StatusEventRow => ({ seq, status, applied, source, detail, at: at(ms) });
function change(events: StatusEventRow[], recipientStatus: ShipmentState["recipientStatus"] = "SMS_Sending", extra: Partial<ShipmentState> = {}): ShipmentState {
  const completed = recipientStatus.includes("Delivered") || recipientStatus.includes("Failed");
  return {
    kind: "state", shipmentId: "s", org: "o", orderId: "o1", idempotencyId: "k", orderRef: "r", sendersReference: null, channel: "sms", destination: "+4799999999",
    createdAt: at(0), deadline: at(120_000), version: events.length, orderStatus: "Order_Processing", recipientStatus, lastUpdate: at(events.at(-1)?.at ? Date.parse(events.at(-1)!.at) - T0 : 0),
    providerRef: null, events, completed, ...extra,
  };
}

describe("facts of a change", () => {
  it.each([
    ["registration and claim", change([ev(1, "SMS_New", "registration", 0), ev(2, "SMS_Sending", "dispatch", 5, "attempt 1 via primary")]), { registered: true, via: "primary", handover: null, final: null }],
    ["the provider's answer", change([ev(3, "SMS_Accepted", "provider secondary", 40, "accepted as SM1")], "SMS_Accepted"), { registered: false, handover: { atMs: T0 + 40, provider: "secondary" }, final: null }],
    ["a report that overtook the answer", change([ev(3, "SMS_Delivered", "twilio delivered", 900)], "SMS_Delivered"), { handover: { atMs: T0 + 900, provider: null }, final: { status: "SMS_Delivered", atMs: T0 + 900 } }],
    ["a rejection at hand-over", change([ev(3, "SMS_Failed_InvalidRecipient", "provider primary", 30, "rejected at hand-over")], "SMS_Failed_InvalidRecipient"), { handover: null, final: { status: "SMS_Failed_InvalidRecipient", atMs: T0 + 30 } }],
    ["the deadline before any hand-over", change([ev(3, "SMS_Failed_TTL", "alarm", 120_000, "deadline passed before hand-over")], "SMS_Failed_TTL"), { handover: null, final: { status: "SMS_Failed_TTL" } }],
    ["a late report after the end (not applied)", change([ev(4, "SMS_Delivered", "simulator report", 130_000, null, false)], "SMS_Failed_TTL"), { handover: null }],
    ["the order's own account", change([], "SMS_Accepted", { handedOverAt: at(77), handedOverBy: "linkmobility" }), { handover: { atMs: T0 + 77, provider: "linkmobility" } }],
  ])("%s", (_what, c, expected) => {
    expect(factsOf(c)).toMatchObject(expected);
  });
});

describe("figures from rollup rows", () => {
  it("reads the verifications' counters and each provider's approvals, zeros where none were counted", () => {
    const rows = [
      { day: "2026-12-05", channel: "sms" as const, metric: "verifications:started", n: 4 },
      { day: "2026-12-05", channel: "sms" as const, metric: "verifications:approved", n: 3 },
      { day: "2026-12-05", channel: "sms" as const, metric: "verifications:maxAttempts", n: 1 },
      { day: "2026-12-05", channel: "sms" as const, metric: "provider:link:mobility:approved", n: 3 },
      { day: "2026-12-05", channel: "sms" as const, metric: "provider:link:mobility:handedOver", n: 5 },
      { day: "2026-12-05", channel: "email" as const, metric: "verifications:expired", n: 2 },
    ];
    const { days, totals } = figuresOf(rows, "2026-12-05", "2026-12-05");
    expect(days[0]!.verifications).toEqual({ started: 4, approved: 3, expired: 0, maxAttempts: 1 });
    expect(days[0]!.providers).toEqual({ "link:mobility": { handedOver: 5, delivered: 0, approved: 3 } });
    expect(days[1]!.verifications).toEqual({ started: 0, approved: 0, expired: 2, maxAttempts: 0 });
    expect(totals.verifications).toEqual({ started: 4, approved: 3, expired: 2, maxAttempts: 1 });
  });

  it.each([
    [{ started: 4, approved: 3 }, 75], // approved of started
    [{ started: 0, approved: 0 }, null], // a day without verifications has no share, not 0 %
    [{ started: 2, approved: 0 }, 0],
    [{ started: 1, approved: 2 }, 100], // an approval counted before its start: never above 100
  ])("conversion of %j is %s %", (v, expected) => expect(conversionPercent(v)).toBe(expected));

  it("fills every asked day and channel, adds up totals, and derives pending and the within-10 s share", () => {
    const rows = [
      { day: "2026-12-05", channel: "sms" as const, metric: "registered", n: 10 },
      { day: "2026-12-05", channel: "sms" as const, metric: "handedOverWithin10s", n: 8 },
      { day: "2026-12-05", channel: "sms" as const, metric: "delivered", n: 6 },
      { day: "2026-12-05", channel: "sms" as const, metric: "failed:SMS_Failed_InvalidRecipient", n: 2 },
      { day: "2026-12-05", channel: "sms" as const, metric: "failedForRecipientBeforeHandOver", n: 2 },
      { day: "2026-12-05", channel: "sms" as const, metric: "provider:link:mobility:handedOver", n: 8 },
      { day: "2026-12-04", channel: "email" as const, metric: "refused:NOT-10003", n: 4 },
    ];
    const { days, totals } = figuresOf(rows, "2026-12-04", "2026-12-05");
    expect(days.map((d) => `${d.date}/${d.channel}`)).toEqual(["2026-12-04/sms", "2026-12-04/email", "2026-12-05/sms", "2026-12-05/email"]);
    expect(days[2]).toMatchObject({ registered: 10, pending: 2, failed: { SMS_Failed_InvalidRecipient: 2 }, providers: { "link:mobility": { handedOver: 8, delivered: 0 } } });
    expect(totals).toMatchObject({ registered: 10, refused: { "NOT-10003": 4 } });
    expect(within10sPercent(days[2]!)).toBe(100);
    expect(within10sPercent(days[0]!)).toBeNull();
  });

  it("counts both ends of a range", () => {
    expect(daysBetween("2026-01-01", "2026-04-02")).toHaveLength(92);
    expect(daysBetween("2026-12-31", "2027-01-01")).toEqual(["2026-12-31", "2027-01-01"]);
  });
});
