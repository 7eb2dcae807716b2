import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { newSecret, signature, webhookHeaders } from "../../src/webhooks/signing";

const now = () => Math.floor(Date.now() / 1000);
const body = JSON.stringify({ type: "shipment.status", timestamp: "2026-11-29T08:25:14Z", data: { shipmentId: "x", status: "Order_Completed" } });

describe("Standard Webhooks signing", () => {
  it("makes whsec_ secrets of 32 random bytes", () => {
    const secret = newSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(atob(secret.slice(6))).toHaveLength(32);
    expect(newSecret()).not.toBe(secret);
  });

  it("signs as the reference library does", async () => {
    const secret = newSecret();
    const t = now();
    expect(await signature(secret, "msg_1", t, body)).toBe(new Webhook(secret).sign("msg_1", new Date(t * 1000), body));
  });

  it("matches the specification's test vector", async () => {
    // From the Standard Webhooks specification's examples.
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const payload = '{"test": 2432232314}';
    expect(await signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, payload)).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("sends headers the reference library verifies, with either secret during a rotation", async () => {
    const [current, previous, stranger] = [newSecret(), newSecret(), newSecret()];
    const headers = await webhookHeaders([current, previous], "ship.3", now(), body);
    expect(headers["Content-Type"]).toBe("application/json");
    expect(headers["webhook-id"]).toBe("ship.3");
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(current).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(previous).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(stranger).verify(body, headers)).toThrow("No matching signature found");
    expect(() => new Webhook(current).verify(body.replace("x", "y"), headers)).toThrow("No matching signature found");
  });
});
