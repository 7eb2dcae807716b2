// The callback object writes its alarm (a billed write) only when it must fire earlier than the one set.
import { runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { callbackObject, statusEvent, storedDelivery, subscribe } from "../support/callbacks";
import { fakeReceiver, type FakeReceiver } from "../support/fake-receiver";

let receiver: FakeReceiver;
beforeEach(() => {
  receiver = fakeReceiver();
});
afterEach(() => vi.restoreAllMocks());

describe("the callback object's alarm", () => {
  it("is written once for five deliveries in a row that each succeed at once, not once or twice per call", async () => {
    const org = `alarms${crypto.randomUUID().slice(0, 8)}`;
    await subscribe(org, receiver.url("/alarms"));
    const writes: string[] = [];
    await runInDurableObject(callbackObject(org), (_instance, state) => {
      vi.spyOn(state.storage, "setAlarm").mockImplementation(async () => void writes.push("set"));
      vi.spyOn(state.storage, "deleteAlarm").mockImplementation(async () => void writes.push("delete"));
    });
    for (let i = 0; i < 5; i++) {
      const event = statusEvent(org, crypto.randomUUID(), 4, "SMS_Delivered");
      expect(await callbackObject(org).enqueue([event])).toEqual({ accepted: 1, subscribed: true });
      await vi.waitFor(async () => expect(await storedDelivery(org, event.eventId)).toMatchObject({ state: "delivered" }), { timeout: 5_000, interval: 10 });
    }
    expect(receiver.at("/alarms")).toHaveLength(5);
    expect(writes).toEqual(["set"]); // the first lease's end; each later lease ends after it
  });
});
