import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, postSms, smsRequest } from "../support/api";
import { shipmentIdOf, rowsForKey, waitForShipment } from "../support/shipments";
import { fireAlarm, shiftOrderTimes } from "../support/order";

const retentionMs = Number(env.RETENTION_DAYS) * 24 * 3600 * 1000;

describe("retention", () => {
  it("keeps a final shipment and its key for the retention period, then deletes both", async () => {
    const request = smsRequest();
    const id = await shipmentIdOf(await postSms(request));
    await waitForShipment(id, (s) => s.status === "Order_Completed");

    await shiftOrderTimes(id, ["created_at"], -(retentionMs - 60_000)); // a minute to go
    await fireAlarm(id);
    expect((await postSms(request)).status).toBe(200);

    await shiftOrderTimes(id, ["created_at"], -60_001);
    expect(await fireAlarm(id)).toBe(true);
    expect((await call("GET", `/future/shipment/${id}`)).status).toBe(404);
    expect(await rowsForKey("ttd", request.idempotencyId)).toEqual({ shipments: 0, recipients: 0, events: 0 });

    // The key is free again: a new registration (its shipment id is derived from the key, so the same id).
    const again = await shipmentIdOf(await postSms(request));
    expect(again).toBe(id);
    expect(await rowsForKey("ttd", request.idempotencyId)).toMatchObject({ shipments: 1, recipients: 1 });
  });
});
