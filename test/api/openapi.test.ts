import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

type Doc = { paths: Record<string, Record<string, { deprecated?: boolean; responses: Record<string, { description: string }> }>> };

describe("GET /openapi.json", () => {
  it("documents every endpoint with every status code and problem code", async () => {
    const response = await exports.default.fetch("http://localhost/openapi.json");
    expect(response.status).toBe(200);
    const doc = (await response.json()) as Doc;
    const base = "/notifications/api/v1/future";
    for (const path of [`${base}/orders/instant/sms`, `${base}/orders/instant/email`, `${base}/orders/instant`]) {
      expect(Object.keys(doc.paths[path]!.post!.responses).sort()).toEqual(["200", "201", "400", "401", "403", "413", "415", "422", "429", "503"]);
      expect(doc.paths[path]!.post!.responses["422"]!.description).toContain("NOT-10001");
      for (const code of ["NOT-10002", "NOT-10003", "NOT-10004"]) expect(doc.paths[path]!.post!.responses["429"]!.description).toContain(code);
      expect(doc.paths[path]!.post!.responses["503"]!.description).toContain("NOT-00004");
    }
    expect(doc.paths[`${base}/orders/instant`]!.post!.deprecated).toBe(true);
    expect(doc.paths[`${base}/shipment/{shipmentId}`]!.get!.responses["404"]!.description).toContain("NOT-00003");
  });

  it("describes the request fields from the same schemas that validate them", async () => {
    const doc = (await (await exports.default.fetch("http://localhost/openapi.json")).json()) as {
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    };
    const sms = doc.components.schemas["RecipientSms"]!;
    expect(Object.keys(sms.properties!)).toEqual(["phoneNumber", "timeToLiveInSeconds", "smsSettings"]);
    expect(sms.properties!["timeToLiveInSeconds"]).toMatchObject({ minimum: 60, maximum: 172800 });
  });
});

describe("GET /docs", () => {
  it("renders a page listing the endpoints", async () => {
    const response = await exports.default.fetch("http://localhost/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const html = await response.text();
    expect(html).toContain("POST /notifications/api/v1/future/orders/instant/sms");
    expect(html).toContain("NOT-00004");
  });
});
