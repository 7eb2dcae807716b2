import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, postSms, problemOf, smsRequest } from "../support/api";

async function registered(org = "ttd") {
  const response = await postSms(smsRequest({ phoneNumber: "+4799999999" }), { org });
  return ((await response.json()) as { notification: { shipmentId: string } }).notification.shipmentId;
}

describe("GET /future/shipment/{shipmentId}", () => {
  it("returns the manifest with type Instant and the recipient in E.164", async () => {
    const id = await registered();
    const response = await call("GET", `/future/shipment/${id}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      shipmentId: id,
      sendersReference: "otp-login-1234",
      type: "Instant",
      recipients: [{ type: "SMS", destination: "+4799999999" }],
    });
    expect(["Order_Registered", "Order_Processing", "Order_Processed", "Order_Completed"]).toContain(body.status);
    expect(body.lastUpdate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  });

  it("leaves out a null sendersReference", async () => {
    const { sendersReference: _omit, ...request } = smsRequest();
    const { notification } = (await (await postSms(request)).json()) as { notification: { shipmentId: string } };
    expect(notification).not.toHaveProperty("sendersReference");
    const body = await (await call("GET", `/future/shipment/${notification.shipmentId}`)).json();
    expect(body).not.toHaveProperty("sendersReference");
  });

  it.each([
    ["another organisation's shipment", async () => `/future/shipment/${await registered("someone-else")}`],
    ["an unknown id", async () => `/future/shipment/${crypto.randomUUID()}`],
    ["an id that is not a UUID", async () => "/future/shipment/not-a-uuid"],
    ["an id with SQL in it", async () => `/future/shipment/${encodeURIComponent("' OR 1=1 --")}`],
  ])("answers 404 NOT-00003 for %s", async (_name, path) => {
    const response = await call("GET", await path());
    expect(response.status).toBe(404);
    expect((await problemOf(response)).code).toBe("NOT-00003");
  });
});

describe("unknown routes and methods", () => {
  it("answers an unknown path with a 404 problem", async () => {
    const response = await call("GET", "/future/nothing-here");
    expect(response.status).toBe(404);
    await problemOf(response);
  });

  it("answers a wrong method with a 405 problem and an Allow header", async () => {
    const response = await call("DELETE", "/future/orders/instant/sms");
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    await problemOf(response);
  });

  it("answers /health without a token", async () => {
    const response = await exports.default.fetch("http://localhost/health");
    expect(response.status).toBe(200);
  });
});
