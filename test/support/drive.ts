// Drives an order's own machinery (its alarm, the dispatch queue) from a test, so a check that "nothing
// more happens" does not wait and hope: it makes every retry due now, runs what would act, and then
// the test asserts on stored state.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { orderStubForShipment } from "../../src/orders/order-key";
import { deliverDispatch } from "./queue";

/**
 * Everything that could hand the shipment over again, run now: any retry or lease is made due (its
 * times moved into the past), the order's alarm runs, and a dispatch message is delivered to the queue handler, as a late or redelivered one would be.
 * Returns how many dispatch messages the alarm put on the queue (its stored count of re-dispatches).
 */
export async function driveDispatch(shipmentId: string, channel: "sms" | "email" = "sms"): Promise<{ enqueuedByAlarm: number }> {
  const stub = orderStubForShipment(env, shipmentId);
  const redispatches = () =>
    runInDurableObject(stub, (_order, state) => state.storage.sql.exec<{ n: number }>("SELECT redispatches AS n FROM shipment WHERE id = 1").one().n);
  const before = await runInDurableObject(stub, (_order, state) => {
    state.storage.sql.exec("UPDATE shipment SET dispatch_at = 0, claim_until = 0 WHERE id = 1");
    return state.storage.sql.exec<{ n: number }>("SELECT redispatches AS n FROM shipment WHERE id = 1").one().n;
  });
  await runDurableObjectAlarm(stub);
  const enqueuedByAlarm = (await redispatches()) - before;
  const result = await deliverDispatch([{ orderRef: stub.id.toString(), shipmentId, channel }]);
  if (result.retryMessages.length > 0) throw new Error("the dispatch message was sent back to the queue");
  return { enqueuedByAlarm };
}
