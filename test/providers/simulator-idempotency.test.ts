// The simulator honours an idempotency key like a provider that has one: the same key gets the first
// answer again and is never handed over (or reported) twice, so an in-doubt hand-over can be resent.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { simulatorStub, type SimulatorHandover } from "../../src/providers/simulator/provider-simulator";

function handover(to: string, key = crypto.randomUUID()): SimulatorHandover {
  return { channel: "sms", shipmentId: key, orderRef: "ref", to, from: "Altinn", validitySeconds: 120, idempotencyKey: key };
}

/** Hand-overs and scheduled reports the simulator holds for one shipment. */
function countsFor(shipmentId: string) {
  return runInDurableObject(simulatorStub(env), (_instance, state) => ({
    handovers: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM handovers WHERE shipment_id = ?", shipmentId).one().n,
    attempts: state.storage.sql.exec<{ count: number }>("SELECT count FROM attempts WHERE shipment_id = ?", shipmentId).toArray()[0]?.count ?? 0,
  }));
}

describe("simulator idempotency key", () => {
  it("answers a repeated key with the first acceptance and hands over once", async () => {
    const message = handover("+4799000001");
    const first = await simulatorStub(env).send(message);
    expect(first).toMatchObject({ kind: "accepted", status: "SMS_Accepted" });
    expect(await simulatorStub(env).send(message)).toEqual(first);
    expect(await countsFor(message.shipmentId)).toEqual({ handovers: 1, attempts: 1 });
  });

  it("hands over once when calls with one key arrive together", async () => {
    const message = handover("+4799000002");
    const answers = await Promise.all(Array.from({ length: 5 }, () => simulatorStub(env).send(message)));
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect((await countsFor(message.shipmentId)).handovers).toBe(1);
  });

  it("repeats a rejection at hand-over without trying again", async () => {
    const message = handover("+4740000001");
    const first = await simulatorStub(env).send(message);
    expect(first).toMatchObject({ kind: "final", status: "SMS_Failed_InvalidRecipient" });
    expect(await simulatorStub(env).send(message)).toEqual(first);
    expect(await countsFor(message.shipmentId)).toEqual({ handovers: 0, attempts: 1 });
  });

  it("does not remember a transient failure: the same key is tried again until accepted, then repeats that", async () => {
    const message = handover("+4740000004"); // two transient failures, then accepted
    expect((await simulatorStub(env).send(message)).kind).toBe("transient");
    expect((await simulatorStub(env).send(message)).kind).toBe("transient");
    const accepted = await simulatorStub(env).send(message);
    expect(accepted.kind).toBe("accepted");
    expect(await simulatorStub(env).send(message)).toEqual(accepted);
    expect(await countsFor(message.shipmentId)).toEqual({ handovers: 1, attempts: 3 });
  });

  it("treats another key as another message", async () => {
    const a = await simulatorStub(env).send(handover("+4799000003"));
    const b = await simulatorStub(env).send(handover("+4799000003"));
    expect(a.kind === "accepted" && b.kind === "accepted" && a.providerRef !== b.providerRef).toBe(true);
  });
});
