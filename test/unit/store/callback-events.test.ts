import { describe, expect, it } from "vitest";
import type { ShipmentState } from "../../../src/store/changes";
import { callbackEventsOf } from "../../../src/store/callback-events";
import type { ShipmentStatusEvent } from "../../../src/webhooks/events";

const state: ShipmentState = {
  kind: "state",
  shipmentId: "2d4f1359-2f4b-4a3f-9d0e-5f3b9a6d8c21",
  org: "ttd",
  orderId: "o",
  idempotencyId: "k",
  orderRef: "r",
  sendersReference: null,
  channel: "sms",
  destination: "+4799999999",
  createdAt: "2026-11-29T08:00:00.000Z",
  deadline: "2026-11-29T08:02:00.000Z",
  version: 5,
  orderStatus: "Order_Completed",
  recipientStatus: "SMS_Delivered",
  lastUpdate: "2026-11-29T08:00:02.000Z",
  providerRef: null,
  events: [
    { seq: 3, status: "SMS_Accepted", applied: true, source: "provider", detail: null, at: "2026-11-29T08:00:01.000Z" },
    { seq: 4, status: "SMS_Accepted", applied: false, source: "provider", detail: "late", at: "2026-11-29T08:00:01.500Z" },
    { seq: 5, status: "SMS_Delivered", applied: true, source: "report", detail: null, at: "2026-11-29T08:00:02.000Z" },
  ],
  completed: true,
};

describe("status events from an order's changes", () => {
  it("one per applied status change, with the manifest at that status; deletions and unapplied proposals make none", () => {
    const events = callbackEventsOf([state, { kind: "delete", shipmentId: "x", org: "ttd" }]) as ShipmentStatusEvent[];
    expect(events.map((e) => [e.eventId, e.status, e.final, e.at])).toEqual([
      [`${state.shipmentId}.3`, "SMS_Accepted", false, "2026-11-29T08:00:01.000Z"],
      [`${state.shipmentId}.5`, "SMS_Delivered", true, "2026-11-29T08:00:02.000Z"],
    ]);
    expect(events[0]!.manifest).toMatchObject({ shipmentId: state.shipmentId, status: "Order_Processed", lastUpdate: "2026-11-29T08:00:01.000Z" });
    expect(events[0]!.manifest.recipients[0]).toMatchObject({ type: "SMS", destination: "+4799999999", status: "SMS_Accepted" });
    expect(events[1]!.manifest.status).toBe("Order_Completed");
    expect(events.every((e) => e.org === "ttd" && e.manifest.sendersReference === undefined)).toBe(true);
  });
});

describe("verification events from a verification's changes", () => {
  const view = { verificationId: "v-1", status: "expired" as const, attempts: 0, maxAttempts: 5, expiresAt: "2026-11-29T08:05:00.000Z", channel: "sms" as const, shipments: [] };
  const base = { kind: "verification" as const, org: "ttd", verificationId: "v-1", channel: "sms" as const, day: "2026-11-29", at: "2026-11-29T08:05:00.000Z" };

  it("its end (with its view) is one final event, recognisable as a repeat by its id; its start, and an end without a view, none", () => {
    const events = callbackEventsOf([{ ...base, event: "started" }, { ...base, event: "expired", view }, { ...base, event: "approved" }]);
    expect(events).toEqual([{ type: "verification.status", eventId: "verification.v-1.expired", org: "ttd", verificationId: "v-1", status: "expired", final: true, at: base.at, view }]);
  });

  it("a message of a verification carries its verificationId in each status event's manifest", () => {
    const [event] = callbackEventsOf([{ ...state, verificationId: "v-1", events: [state.events[0]!] }]) as ShipmentStatusEvent[];
    expect(event!.manifest.verificationId).toBe("v-1");
    expect((callbackEventsOf([state]) as ShipmentStatusEvent[])[0]!.manifest).not.toHaveProperty("verificationId");
  });

  it("the order's own status description goes with its current status only", () => {
    const ended = { ...state, recipientStatus: "SMS_Failed" as const, statusDescription: "not sent: its verification had ended", events: [state.events[0]!, { ...state.events[2]!, status: "SMS_Failed" as const }] };
    const [earlier, last] = callbackEventsOf([ended]) as ShipmentStatusEvent[];
    expect(last!.manifest.recipients[0]!.statusDescription).toBe("not sent: its verification had ended");
    expect(earlier!.manifest.recipients[0]!.statusDescription).not.toBe("not sent: its verification had ended");
  });
});
