// Issue 28, item 7: when a verification ends, its organisation's callback object delivers one
// `verification.status` event, signed and retried as the shipments' are, to either kind of subscription.
// The end reaches the shard writer as a VerificationChange (from the verification object); from there on
// everything is real (writer, outbox, callback object); only the receiver is faked.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { VerificationChange } from "../../src/store/changes";
import { shardOf, shardWriter } from "../../src/store/shards";
import type { VerificationView } from "../../src/status/verification";
import { deliveriesOf, runDueAttempts, subscribe } from "../support/callbacks";
import { answer, fakeReceiver, verifyCallback, type FakeReceiver } from "../support/fake-receiver";

let receiver: FakeReceiver;
beforeEach(() => {
  receiver = fakeReceiver();
});
afterEach(() => vi.restoreAllMocks());

const newOrg = () => `vcb${crypto.randomUUID().slice(0, 8)}`;

/** The GET body of a verification that ended `status` just now (what the verification object sends). */
function endedView(verificationId: string, status: VerificationView["status"], at: string): VerificationView {
  return {
    verificationId,
    status,
    attempts: status === "max_attempts" ? 5 : 1,
    maxAttempts: 5,
    expiresAt: new Date(Date.parse(at) + 240_000).toISOString(),
    ...(status === "approved" ? { approvedAt: at } : {}),
    channel: "sms",
    shipments: [{ shipmentId: crypto.randomUUID(), channel: "sms", status: "SMS_Delivered" }],
  };
}

function change(org: string, verificationId: string, event: VerificationChange["event"], at = new Date().toISOString()): VerificationChange {
  return {
    kind: "verification",
    org,
    verificationId,
    channel: "sms",
    day: at.slice(0, 10),
    event,
    at,
    ...(event === "approved" ? { provider: "primary" } : {}),
    ...(event === "started" ? {} : { view: endedView(verificationId, event, at) }),
  };
}

/** Hands changes to the organisation's shard writer as the verification object does. */
async function append(org: string, changes: VerificationChange[]) {
  const shard = await shardOf(env, org);
  await shardWriter(env, shard).append(shard, changes);
}

async function arrivals(path: string, count: number) {
  await vi.waitFor(() => expect(receiver.at(path).length).toBeGreaterThanOrEqual(count), { timeout: 5_000, interval: 10 });
  return receiver.at(path);
}

describe("verification.status callbacks", () => {
  it("a final-only subscription receives a verification's end once, signed, with its GET body; its start sends nothing", async () => {
    const org = newOrg();
    const { secret } = await subscribe(org, receiver.url("/final"), "final");
    const verificationId = crypto.randomUUID();
    await append(org, [change(org, verificationId, "started")]);
    const ended = change(org, verificationId, "approved");
    await append(org, [ended]);
    await append(org, [ended]); // the verification object sent it again (an answer it never got)

    const [callback] = await arrivals("/final", 1);
    expect(callback!.headers["webhook-id"]).toBe(`verification.${verificationId}.approved`);
    expect(verifyCallback(secret, callback!)).toEqual({ type: "verification.status", timestamp: ended.at, data: ended.view });
    await vi.waitFor(async () => expect((await deliveriesOf(org, "delivered")).length).toBe(1), { timeout: 3_000, interval: 20 });
    const listed = await deliveriesOf(org);
    expect(listed).toEqual([
      expect.objectContaining({ id: `verification.${verificationId}.approved`, type: "verification.status", verificationId, status: "approved", state: "delivered", attempts: 1 }),
    ]);
    expect(listed[0]!.shipmentId).toBeUndefined();
    await new Promise((r) => setTimeout(r, 200)); // the repeat (and the start) had their chance to arrive
    expect(receiver.at("/final")).toHaveLength(1);
  });

  it("an all-statuses subscription receives it too, retried after a failure with the same id and body", async () => {
    const org = newOrg();
    receiver.script("/all", [answer.status(500), answer.ok()]);
    const { secret } = await subscribe(org, receiver.url("/all"), "all");
    const verificationId = crypto.randomUUID();
    const ended = change(org, verificationId, "max_attempts");
    await append(org, [change(org, verificationId, "started"), ended]);

    const [first] = await arrivals("/all", 1);
    await vi.waitFor(async () => expect((await deliveriesOf(org, "pending"))[0]).toMatchObject({ attempts: 1, lastResponseStatus: 500 }), { timeout: 3_000, interval: 20 });
    await runDueAttempts(org);
    const [, second] = await arrivals("/all", 2);
    for (const callback of [first!, second!]) {
      expect(callback.headers["webhook-id"]).toBe(`verification.${verificationId}.max_attempts`);
      expect(verifyCallback(secret, callback)).toEqual({ type: "verification.status", timestamp: ended.at, data: ended.view });
    }
    expect(second!.body).toBe(first!.body);
    expect((await deliveriesOf(org))[0]).toMatchObject({ type: "verification.status", verificationId, status: "max_attempts", state: "delivered", attempts: 2 });
  });
});
