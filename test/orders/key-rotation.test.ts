// CONTENT_KEY rotates without loss (docs/operations.md#rotating-keys): a new key seals, the keys in
// CONTENT_KEYS_PREVIOUS still open what they sealed and still recognise the fingerprints they keyed. Runs
// with DISPATCH_ON_REGISTRATION=queue, so a registered message waits for its queue message; the test
// holds that message back, rotates the key (the Worker and the order objects share `env`), then delivers it.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { contentKeyId } from "../../src/orders/content-cipher";
import { keyedFingerprint, saltedDigest } from "../../src/orders/fingerprint";
import type { DispatchMessage } from "../../src/orders/order-object";
import { toSmsOrder } from "../../src/orders/order";
import type { OutboxMessage } from "../../src/providers/simulator/outbox";
import { expectMismatch, expectReplay, postSms, smsRequest, variedPhoneNumber } from "../support/api";
import { orderObjectOf, orderState, storedOrder } from "../support/order";
import { deliverDispatch, loseNextQueueMessage } from "../support/queue";
import { shipmentIdOf, waitForShipment } from "../support/shipments";

const newKey = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
const KEY_A = env.CONTENT_KEY!;

/** The rotation as the operator does it: the new key seals, `previous` only opens. */
function rotate(current: string, previous: string[]) {
  env.CONTENT_KEY = current;
  env.CONTENT_KEYS_PREVIOUS = previous.join(",");
}

afterEach(() => {
  rotate(KEY_A, []);
  delete env.CONTENT_KEYS_PREVIOUS;
  vi.restoreAllMocks();
});

/** Registers an SMS under the current key; its dispatch message is held back (returned, never queued). */
async function registerHeldBack(body: string) {
  const send = loseNextQueueMessage(env.SMS_QUEUE);
  const request = smsRequest({ phoneNumber: variedPhoneNumber(), body });
  const first = await postSms(request);
  const shipmentId = await shipmentIdOf(first.clone());
  const [message] = send.mock.calls[0]!;
  send.mockRestore();
  return { request, first: await first.json(), shipmentId, message: message as DispatchMessage };
}

/** The bodies the simulator received for a shipment (its outbox). */
async function simulatorBodies(shipmentId: string): Promise<string[]> {
  const stub = env.SIMULATOR.get(env.SIMULATOR.idFromName("simulator"));
  const rows = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ message: string }>("SELECT message FROM outbox ORDER BY id").toArray());
  return rows.map((row) => JSON.parse(row.message) as OutboxMessage).filter((m) => m.shipmentId === shipmentId).map((m) => m.body);
}

const final = (s: { status: string }) => s.status === "Order_Completed";

describe("a CONTENT_KEY rotation", () => {
  it("delivers a message sealed under the old key, with its body, once the old key is listed as previous", async () => {
    const body = `Your code is ${100000 + Math.floor(Math.random() * 900000)}`;
    const { shipmentId, message } = await registerHeldBack(body);
    expect((await storedOrder(shipmentId)).handover).toBe("waiting");

    rotate(newKey(), [newKey(), KEY_A]); // a list: an unrelated older key first
    expect((await deliverDispatch([message])).retryMessages).toEqual([]);
    const shipment = await waitForShipment(shipmentId, final);
    expect(shipment.recipients[0]!.status).toBe("SMS_Delivered");
    expect(await simulatorBodies(shipmentId)).toEqual([body]);
  });

  it("fails a message whose key was dropped at once and clearly: nothing sent, the missing key named by its id", async () => {
    const { shipmentId, message } = await registerHeldBack("Your code is 555123");
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void errors.push(args.map(String).join(" ")));

    rotate(newKey(), []); // the old key removed too early
    await deliverDispatch([message]);
    const shipment = await waitForShipment(shipmentId, final);
    expect(shipment.recipients[0]!.status).toBe("SMS_Failed");
    expect(await simulatorBodies(shipmentId)).toEqual([]);
    const { events } = await orderState(shipmentId);
    expect(events.at(-1)?.detail).toMatch(/could not be opened/);
    const unreadable = errors.map((line) => JSON.parse(line) as { event: string; error: string; shipmentId: string }).find((e) => e.event === "dispatch.content_unreadable");
    expect(unreadable?.shipmentId).toBe(shipmentId);
    expect(unreadable?.error).toContain(`sealed under content key ${await contentKeyId(KEY_A)}, which is neither CONTENT_KEY nor in CONTENT_KEYS_PREVIOUS`);
    expect(unreadable?.error).not.toContain(KEY_A);
  });

  it("replays an identical request after the rotation (200, the first answer, no Idempotency-Mismatch) and re-keys its fingerprint", async () => {
    const { request, first, shipmentId } = await registerHeldBack("Your code is 908172");
    const keyB = newKey();
    rotate(keyB, [KEY_A]);

    const replay = await postSms(request);
    expectReplay(replay);
    expect(await replay.json()).toEqual(first);
    // The replay stored the fingerprint anew under the key that now seals: the old key is no longer needed for it.
    const row = await storedOrder(shipmentId);
    const digest = await saltedDigest(toSmsOrder(request, { smsSender: env.DEFAULT_SMS_SENDER, emailSender: env.DEFAULT_EMAIL_SENDER }), row.salt as string);
    expect(row.fingerprint).toBe(await keyedFingerprint(keyB, digest));
    rotate(keyB, []);
    expectReplay(await postSms(request));
    // A different request under the same key is still told apart.
    expectMismatch(await postSms({ ...request, recipientSms: { ...request.recipientSms, smsSettings: { ...request.recipientSms.smsSettings, body: "Your code is 000000" } } }));
  });

  it("replays a fingerprint of the previous version (v1, no key id) under an old key, and one whose key was dropped is no longer recognised", async () => {
    const { request, first, shipmentId } = await registerHeldBack("Your code is 271828");
    const row = await storedOrder(shipmentId);
    const digest = await saltedDigest(toSmsOrder(request, { smsSender: env.DEFAULT_SMS_SENDER, emailSender: env.DEFAULT_EMAIL_SENDER }), row.salt as string);
    const v1 = `v1:${(await keyedFingerprint(KEY_A, digest)).split(":")[2]}`; // as the previous version stored it under KEY_A
    const setFingerprint = async (value: string) =>
      runInDurableObject(await orderObjectOf(shipmentId), (_i, state) => void state.storage.sql.exec("UPDATE shipment SET fingerprint = ? WHERE id = 1", value));
    await setFingerprint(v1);

    rotate(newKey(), []); // KEY_A dropped: the request can no longer be told to be the same
    expectMismatch(await postSms(request));
    expect((await storedOrder(shipmentId)).fingerprint).toBe(v1); // left as it was

    const keyB = newKey();
    rotate(keyB, [newKey(), KEY_A]);
    const replay = await postSms(request);
    expectReplay(replay);
    expect(await replay.json()).toEqual(first);
    expect((await storedOrder(shipmentId)).fingerprint).toBe(await keyedFingerprint(keyB, digest));
  });
});
