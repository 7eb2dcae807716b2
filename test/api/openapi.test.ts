import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { PROBLEM_CODES, PROBLEM_TITLES, type ProblemCode } from "../../src/api/problem";
import { tokenFor } from "../support/api";

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

  it("describes a reused key with a different request: 200 with Idempotency-Mismatch: true, and 422 only where chosen", async () => {
    const doc = (await (await exports.default.fetch("http://localhost/openapi.json")).json()) as {
      paths: Record<string, { post: { responses: Record<string, { description: string; headers?: Record<string, { schema: unknown; description: string }> }> } }>;
    };
    for (const path of ["sms", "email", ""].map((channel) => `/notifications/api/v1/future/orders/instant${channel ? `/${channel}` : ""}`)) {
      const { responses } = doc.paths[path]!.post;
      expect(responses["200"]!.headers!["Idempotency-Mismatch"]).toMatchObject({ schema: { type: "string", enum: ["true"] } });
      expect(responses["200"]!.description).toContain("`Idempotency-Mismatch: true`");
      expect(responses["201"]!.headers).not.toHaveProperty("Idempotency-Mismatch");
      expect(responses["422"]!.description).toContain('IDEMPOTENCY_MISMATCH = "reject"');
    }
    // The /docs page's NOT-10001 anchor (where the 422's help link lands) says the same.
    const html = await (await exports.default.fetch("http://localhost/docs")).text();
    const anchor = /<dt id="problem-NOT-10001">.*?<\/dd>/s.exec(html)?.[0];
    expect(anchor).toContain("Answered only where the deployment");
    expect(anchor).toContain("Idempotency-Mismatch: true");
  });

  it("describes the request fields from the same schemas that validate them", async () => {
    const doc = (await (await exports.default.fetch("http://localhost/openapi.json")).json()) as {
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    };
    const sms = doc.components.schemas["RecipientSms"]!;
    expect(Object.keys(sms.properties!)).toEqual(["phoneNumber", "timeToLiveInSeconds", "smsSettings"]);
    // An integer in range, or (as Altinn's JSON settings read it) a JSON string of digits.
    expect(sms.properties!["timeToLiveInSeconds"]).toMatchObject({
      anyOf: [{ type: "integer", minimum: 60, maximum: 172800 }, { type: "string", pattern: "^[0-9]+$" }],
    });
    const settings = (doc.components.schemas["RecipientEmail"]!.properties!["emailSettings"] as { properties: Record<string, { maxLength?: number }> }).properties;
    expect(settings["subject"]!.maxLength).toBe(998);
    expect(doc.components.schemas["InstantSmsOrderRequest"]!.properties!["idempotencyId"]).toMatchObject({ maxLength: 1000 });
  });

  it("describes the SMS sender rule, and the Sender-Replaced header on every SMS endpoint's 201 and 200 (not email's)", async () => {
    type Answer = { description: string; headers?: Record<string, { description: string; schema: unknown }> };
    const doc = (await (await exports.default.fetch("http://localhost/openapi.json")).json()) as {
      paths: Record<string, { post: { responses: Record<string, Answer> } }>;
      components: { schemas: Record<string, { properties: Record<string, { properties: Record<string, { maxLength?: number; description?: string }> }> }> };
    };
    const sender = doc.components.schemas["RecipientSms"]!.properties["smsSettings"]!.properties["sender"]!;
    expect(sender.maxLength).toBe(1000);
    for (const words of ["1 to 11 characters", "Twilio: letters A-Z and a-z, digits, space, `-`, `+`, `_` and `&`", "LINK Mobility:", "GSM-7 basic table", "15 digits", "Sender-Replaced: true"]) {
      expect(sender.description).toContain(words);
    }
    const base = "/notifications/api/v1/future/orders";
    for (const path of [`${base}/instant/sms`, `${base}/instant`]) {
      for (const status of ["201", "200"]) {
        expect(doc.paths[path]!.post.responses[status]!.headers!["Sender-Replaced"]).toMatchObject({ schema: { type: "string", enum: ["true"] } });
        expect(doc.paths[path]!.post.responses[status]!.headers!["Sender-Replaced"]!.description).toContain("configured default sender");
      }
    }
    expect(doc.paths[`${base}/instant/email`]!.post.responses["201"]!.headers).not.toHaveProperty("Sender-Replaced");
    expect(doc.paths[`${base}/instant/email`]!.post.responses["200"]!.headers ?? {}).not.toHaveProperty("Sender-Replaced");
  });

  it("says on every order endpoint that property names match case-insensitively, with the request's own schema", async () => {
    const doc = (await (await exports.default.fetch("http://localhost/openapi.json")).json()) as {
      paths: Record<string, { post: { requestBody: { description: string; content: Record<string, { schema: { $ref?: string } }> } } }>;
    };
    const base = "/notifications/api/v1/future/orders";
    for (const [path, ref] of [
      [`${base}/instant/sms`, "InstantSmsOrderRequest"],
      [`${base}/instant/email`, "InstantEmailOrderRequest"],
      [`${base}/instant`, "InstantNotificationOrderRequest"],
    ] as const) {
      const body = doc.paths[path]!.post.requestBody;
      expect(body.description).toContain("case-insensitively");
      expect(body.content["application/json"]!.schema.$ref).toBe(`#/components/schemas/${ref}`);
    }
  });

  it("describes a coded problem as Altinn shapes it: type urn:altinn:error:<code>, the code's title, a help Link header", async () => {
    const doc = (await (await exports.default.fetch("http://localhost/openapi.json")).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, { example?: string }>; content: Record<string, { example: { type: string; title: string; code?: string } }> }> }>>;
      components: { schemas: Record<string, { properties: Record<string, { description?: string }> }> };
    };
    const conflict = doc.paths["/notifications/api/v1/future/orders/instant/sms"]!.post!.responses["422"]!;
    expect(conflict.content["application/problem+json"]!.example).toMatchObject({
      type: "urn:altinn:error:NOT-10001",
      title: "Idempotency key reused with a different request",
      code: "NOT-10001",
    });
    expect(conflict.headers!["Link"]!.example).toBe('</docs#problem-NOT-10001>; rel="help"');
    const notFound = doc.paths["/notifications/api/v1/future/shipment/{shipmentId}"]!.get!.responses["404"]!;
    expect(notFound.content["application/problem+json"]!.example).toMatchObject({ type: "urn:altinn:error:NOT-00003", title: "Shipment not found" });
    expect(notFound.headers!["Link"]!.example).toBe('</docs#problem-NOT-00003>; rel="help"');
    const invalid = doc.paths["/notifications/api/v1/future/orders/instant/sms"]!.post!.responses["400"]!;
    expect(invalid.headers).toBeUndefined();
    expect(invalid.content["application/problem+json"]!.example.type).toBe("https://www.rfc-editor.org/rfc/rfc9110#status.400");
    expect(doc.components.schemas["ProblemDetails"]!.properties["type"]!.description).toContain("urn:altinn:error:<code>");
  });

  it("names every operation with a unique operationId", async () => {
    const doc = (await (await exports.default.fetch("http://localhost/openapi.json")).json()) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ at: `${method.toUpperCase()} ${path}`, operationId: op.operationId })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(5);
    expect(operations.filter((op) => !op.operationId).map((op) => op.at)).toEqual([]);
    const ids = operations.map((op) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("can be loaded by a browser tool on another origin (CORS, preflight included)", async () => {
    const origin = { Origin: "https://editor.example" };
    const response = await exports.default.fetch("http://localhost/openapi.json", { headers: origin });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");

    const preflight = await exports.default.fetch("http://localhost/openapi.json", {
      method: "OPTIONS",
      headers: { ...origin, "Access-Control-Request-Method": "GET" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("GET");
  });
});

describe("GET /docs", () => {
  it("serves the API reference over /openapi.json from this service's own files, without a token", async () => {
    const response = await exports.default.fetch("http://localhost/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const html = await response.text();
    expect(html).toContain('<script src="/docs/swagger-ui/swagger-ui-bundle.js"></script>');
    expect(html).toContain('url: "/openapi.json"');
    expect(html).not.toMatch(/https?:\/\/(?!www\.rfc-editor)/); // nothing from the internet
  });

  it("lets only its own files and its one inline script run", async () => {
    const response = await exports.default.fetch("http://localhost/docs");
    const csp = response.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(csp).toContain("default-src 'none'");
    expect(nonce).toBeTruthy();
    const html = await response.text();
    expect(html.match(/<script nonce="([^"]+)">/g)).toEqual([`<script nonce="${nonce}">`]);
  });

  it("has an anchor with the title and explanation of every problem code, where a problem's help link lands", async () => {
    const html = await (await exports.default.fetch("http://localhost/docs")).text();
    for (const [code, text] of Object.entries(PROBLEM_CODES) as [ProblemCode, string][]) {
      expect(html).toContain(`<dt id="problem-${code}"><code>${code}</code> ${PROBLEM_TITLES[code]}</dt><dd>${text.replaceAll("'", "&#39;")}</dd>`);
    }
    const response = await exports.default.fetch("http://localhost/notifications/api/v1/future/shipment/unknown", {
      headers: { Authorization: `Bearer ${await tokenFor("ttd")}` },
    });
    const problem = (await response.json()) as { type: string };
    expect(problem.type).toBe("urn:altinn:error:NOT-00003");
    const target = /^<([^>]+)>; rel="help"$/.exec(response.headers.get("link") ?? "")?.[1];
    expect(target).toBe("/docs#problem-NOT-00003");
    expect(html).toContain(`id="${target!.split("#")[1]}"`);
  });
});
