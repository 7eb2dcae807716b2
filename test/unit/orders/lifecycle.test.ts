import { describe, expect, it } from "vitest";
import { nextWake, timings, type LifecycleState } from "../../../src/orders/lifecycle";

const t = timings({ SMS_REPORT_GRACE_SECONDS: "300", RETENTION_DAYS: "90", PROVIDER_TIMEOUT_MS: undefined });
const base: LifecycleState = {
  channel: "sms",
  status: "SMS_New",
  handover: "waiting",
  deadline: 120_000,
  dispatch_at: 0,
  redispatches: 0,
  enqueued: 1,
  claim_until: 0,
  attempts: 0,
  last_update: 0,
  created_at: 0,
};

describe("timings", () => {
  it("reads settings and falls back on missing or out-of-range values", () => {
    expect(t.reportGraceMs).toBe(300_000);
    expect(t.providerTimeoutMs).toBe(10_000);
    expect(timings({ SMS_REPORT_GRACE_SECONDS: "0", RETENTION_DAYS: "-1", PROVIDER_TIMEOUT_MS: "abc" })).toMatchObject({
      reportGraceMs: 0,
      retentionMs: 90 * 24 * 3600 * 1000,
      providerTimeoutMs: 10_000,
    });
  });
});

describe("nextWake", () => {
  it("wakes a waiting shipment to re-dispatch a lost message, at the latest at its deadline", () => {
    expect(nextWake(base, t, false, 0)).toBe(t.lostMessageAfterMs);
    expect(nextWake({ ...base, enqueued: 0, dispatch_at: 800 }, t, false, 0)).toBe(800);
    expect(nextWake({ ...base, dispatch_at: 200_000 }, t, false, 0)).toBe(120_000);
  });

  it("wakes a claimed shipment when its lease ends", () => {
    expect(nextWake({ ...base, handover: "claimed", claim_until: 15_000 }, t, false, 0)).toBe(15_000);
  });

  it("wakes an accepted or in-doubt SMS at deadline + grace, an email at its deadline", () => {
    expect(nextWake({ ...base, status: "SMS_Accepted", handover: "accepted" }, t, false, 0)).toBe(120_000 + 300_000);
    expect(nextWake({ ...base, handover: "in_doubt" }, t, false, 0)).toBe(420_000);
    expect(nextWake({ ...base, channel: "email", status: "Email_Succeeded", handover: "accepted", deadline: 172_800_000 }, t, false, 0)).toBe(172_800_000);
  });

  it("wakes a final shipment only for retention, or sooner to retry an unsynced D1 write", () => {
    const final = { ...base, status: "SMS_Delivered" as const, handover: "accepted" as const };
    expect(nextWake(final, t, false, 0)).toBe(t.retentionMs);
    expect(nextWake(final, t, true, 1_000)).toBe(1_000 + t.syncRetryMs);
  });
});
