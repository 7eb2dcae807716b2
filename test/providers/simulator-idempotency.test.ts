// The simulator honours our idempotency key (the shipment id), like a provider that has one, in the
// cases a crash or a lost answer makes an order ask again: concurrent asks, asks after a transient
// failure or a rejection, and another key. (The plain repeat is in test/pipeline/failover.test.ts.)
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { simulatorStub } from "../../src/providers/simulator/stub";
import { HANDOVER_BY_KEY, HANDOVER_KEY_INDEX } from "../../src/simulator/provider-simulator";

const message = (to: string, shipmentId = crypto.randomUUID()) =>
  ({ channel: "sms" as const, shipmentId, orderRef: "ref", to, from: "Altinn", validitySeconds: 120 });

/** Hand-overs the simulator took for one shipment. */
const handoversOf = (shipmentId: string) =>
  runInDurableObject(simulatorStub(env), (_instance, state) =>
    state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM handovers WHERE shipment_id = ?", shipmentId).one().n,
  );

describe("simulator idempotency key", () => {
  it("takes one hand-over when calls with one key arrive together, and answers them all alike", async () => {
    const m = message("+4799000002");
    const answers = await Promise.all(Array.from({ length: 5 }, () => simulatorStub(env).send(m, "simulator")));
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]).toMatchObject({ kind: "accepted" });
    expect(await handoversOf(m.shipmentId)).toBe(1);
  });

  it("tries again after a transient failure (nothing was taken), then repeats the acceptance", async () => {
    const m = message("+4740000004"); // two transient failures, then accepted
    expect((await simulatorStub(env).send(m, "simulator")).kind).toBe("transient");
    expect((await simulatorStub(env).send(m, "simulator")).kind).toBe("transient");
    const accepted = await simulatorStub(env).send(m, "simulator");
    expect(accepted.kind).toBe("accepted");
    expect(await simulatorStub(env).send(m, "simulator")).toEqual(accepted);
    expect(await handoversOf(m.shipmentId)).toBe(1);
  });

  it("repeats a rejection at hand-over and never takes it", async () => {
    const m = message("+4740000001");
    const first = await simulatorStub(env).send(m, "simulator");
    expect(first).toMatchObject({ kind: "final", status: "SMS_Failed_InvalidRecipient" });
    expect(await simulatorStub(env).send(m, "simulator")).toEqual(first);
    expect(await handoversOf(m.shipmentId)).toBe(0);
  });

  it("treats another key as another message", async () => {
    const a = await simulatorStub(env).send(message("+4799000003"), "simulator");
    const b = await simulatorStub(env).send(message("+4799000003"), "simulator");
    expect(a.kind === "accepted" && b.kind === "accepted" && a.providerRef !== b.providerRef).toBe(true);
  });

  it("finds a key through its index, not by reading every hand-over it ever took", async () => {
    await simulatorStub(env).send(message("+4799000004"), "simulator"); // the object exists, with its schema
    const plan = await runInDurableObject(simulatorStub(env), (_instance, state) =>
      state.storage.sql
        .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${HANDOVER_BY_KEY}`, "x", "simulator")
        .toArray()
        .map((row) => row.detail)
        .join("; "),
    );
    expect(plan).toContain(`USING INDEX ${HANDOVER_KEY_INDEX}`);
  });
});
