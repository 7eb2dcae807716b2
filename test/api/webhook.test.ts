// The status-callback subscription API: PUT/GET/DELETE /future/webhook, deliveries and retry; their
// validation, errors and organisation scope. (Deliveries themselves: test/webhooks/deliveries.test.ts.)
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newApp } from "../../src/api/app";
import { BASE, call, problemOf, tokenFor } from "../support/api";

let orgs = 0;
const newOrg = () => `api${++orgs}${crypto.randomUUID().slice(0, 8)}`;
const put = (org: string, body: unknown) => call("PUT", "/future/webhook", body, { org });

describe("PUT /future/webhook", () => {
  it("creates the subscription with a whsec_ secret, and keeps createdAt on replace", async () => {
    const org = newOrg();
    const created = await put(org, { url: "https://example.com/cb" });
    expect(created.status).toBe(200);
    const first = (await created.json()) as Record<string, string>;
    expect(Object.keys(first).sort()).toEqual(["createdAt", "events", "secret", "updatedAt", "url"]);
    expect(first).toMatchObject({ url: "https://example.com/cb", events: "final" });
    expect(first.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(first.createdAt).toBe(first.updatedAt);

    const replaced = (await (await put(org, { url: "https://example.com/other", events: "all", rotateSecret: null })).json()) as Record<string, string>;
    expect(replaced).toMatchObject({ url: "https://example.com/other", events: "all", createdAt: first.createdAt });
    expect(Date.parse(replaced.updatedAt!)).toBeGreaterThanOrEqual(Date.parse(first.updatedAt!));
  });

  it("shows the secret only in the answer that made it: the first PUT and a rotation, never a later PUT", async () => {
    const org = newOrg();
    const putText = async (body: unknown) => {
      const response = await put(org, body);
      expect(response.status).toBe(200);
      return response.text();
    };
    const { secret: made } = JSON.parse(await putText({ url: "https://example.com/cb" })) as { secret: string };
    expect(made).toMatch(/^whsec_/);
    // Later PUTs, with or without changes, keep the secret and do not show it.
    for (const body of [{ url: "https://example.com/cb" }, { url: "https://example.com/other", events: "all" }, { url: "https://example.com/cb", rotateSecret: false }, { url: "https://example.com/cb", rotateSecret: null }]) {
      const text = await putText(body);
      expect(Object.keys(JSON.parse(text) as object).sort(), JSON.stringify(body)).toEqual(["createdAt", "events", "updatedAt", "url"]);
      expect(text).not.toContain("whsec_");
    }
    const rotated = JSON.parse(await putText({ url: "https://example.com/cb", rotateSecret: true })) as { secret: string; events: string };
    expect(rotated.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(rotated.secret).not.toBe(made);
    expect(rotated.events).toBe("final");
    const after = await putText({ url: "https://example.com/cb" });
    expect(after).not.toContain("whsec_");
    expect(await (await call("GET", "/future/webhook", undefined, { org })).text()).not.toContain("whsec_");
  });

  it.each([
    [{ url: "http://localhost:9000" }, 200],
    [{ url: "http://127.0.0.1:9000/cb" }, 200],
    [{ url: "http://[::1]:9000/" }, 200],
    [{ url: "https://10.0.0.1/cb" }, 200], // internal addresses are refused in production only
  ])("accepts %j outside production", async (body, status) => {
    expect((await put(newOrg(), body)).status).toBe(status);
  });

  it.each([
    [{ url: "http://example.com/cb" }, "url", "Must use https"],
    [{ url: "https://user:secret@example.com/cb" }, "url", "Must not contain user info."],
    [{ url: `https://example.com/${"a".repeat(2048)}` }, "url", "Must be at most 2048 characters."],
    [{ url: "example.com/cb" }, "url", "Must be an absolute URL."],
    [{ url: 42 }, "url", ""],
    [{}, "url", ""],
    [{ url: "https://example.com/cb", events: "some" }, "events", "Must be final or all."],
    [{ url: "https://example.com/cb", events: "FINAL" }, "events", "Must be final or all."],
    [{ url: "https://example.com/cb", rotateSecret: "yes" }, "rotateSecret", "Must be true or false."],
  ])("refuses %j with 400 and errors[%s]", async (body, field, message) => {
    const org = newOrg();
    const response = await put(org, body);
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(problem.errors?.[field]?.[0]).toContain(message);
    // Nothing was stored.
    expect((await call("GET", "/future/webhook", undefined, { org })).status).toBe(404);
  });

  describe("in production", () => {
    /** The Worker's app as deployed: ENVIRONMENT = production, and the ports the deployment allows. */
    async function putInProduction(org: string, url: string, allowedPorts = "") {
      const production = { ...env, ENVIRONMENT: "production", CALLBACK_ALLOWED_PORTS: allowedPorts } as Env;
      const request = new Request(`${BASE}/future/webhook`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${await tokenFor(org)}`, "Content-Type": "application/json" },
        body: JSON.stringify({ url }),
      });
      const ctx = createExecutionContext();
      const response = await newApp().fetch(request, production, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    }

    it.each([
      ["https://[::ffff:0:127.0.0.1]/cb", "Must not be an IP address in a private, loopback, link-local, multicast or other non-public range."],
      ["https://[2002:c0a8:101::1]/cb", "Must not be an IP address in a private, loopback, link-local, multicast or other non-public range."],
      ["https://0177.0.0.1/cb", "Must not be an IP address in a private, loopback, link-local, multicast or other non-public range."],
      ["https://198.18.0.1/cb", "Must not be an IP address in a private, loopback, link-local, multicast or other non-public range."],
      ["https://localhost./cb", "Must not be localhost."],
      ["https://example.com:8443/cb", "Must use port 443."],
      ["http://localhost:9000/cb", "Must use https."],
    ])("refuses %s with 400 and errors.url, storing nothing", async (url, message) => {
      const org = newOrg();
      const response = await putInProduction(org, url);
      expect(response.status).toBe(400);
      expect((await problemOf(response)).errors).toEqual({ url: [message] });
      expect((await call("GET", "/future/webhook", undefined, { org })).status).toBe(404);
    });

    it("takes a public https receiver, on a port only when CALLBACK_ALLOWED_PORTS names it", async () => {
      const org = newOrg();
      expect((await putInProduction(org, "https://example.com/cb")).status).toBe(200);
      expect((await putInProduction(org, "https://example.com:8443/cb", "8443,9443")).status).toBe(200);
      expect((await problemOf(await putInProduction(org, "https://example.com:8080/cb", "8443,9443"))).errors).toEqual({ url: ["Must use port 443 or one of 8443, 9443."] });
      expect(await (await call("GET", "/future/webhook", undefined, { org })).json()).toMatchObject({ url: "https://example.com:8443/cb" });
    });
  });

  it("refuses a body that is not JSON (415) or malformed (400)", async () => {
    expect((await call("PUT", "/future/webhook", undefined, { org: newOrg(), rawBody: "url=x", headers: { "Content-Type": "application/x-www-form-urlencoded" } })).status).toBe(415);
    expect((await call("PUT", "/future/webhook", undefined, { org: newOrg(), rawBody: "{" })).status).toBe(400);
  });
});

describe("GET /future/webhook", () => {
  it("shows the subscription without its secret", async () => {
    const org = newOrg();
    const { createdAt } = (await (await put(org, { url: "https://example.com/cb", events: "all" })).json()) as { createdAt: string };
    const response = await call("GET", "/future/webhook", undefined, { org });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain("whsec_");
    expect(JSON.parse(text)).toEqual({ url: "https://example.com/cb", events: "all", createdAt, updatedAt: createdAt, disabled: false });
  });

  it("is 404 NOT-00005 without a subscription, also for another organisation's", async () => {
    const owner = newOrg();
    await put(owner, { url: "https://example.com/cb" });
    for (const org of [newOrg(), `${owner}x`]) {
      const problem = await problemOf(await call("GET", "/future/webhook", undefined, { org }));
      expect(problem).toMatchObject({ status: 404, code: "NOT-00005" });
    }
  });
});

describe("DELETE /future/webhook", () => {
  it("answers 204, then the subscription is gone (404 NOT-00005 for everything), and a new PUT makes a new secret", async () => {
    const org = newOrg();
    const { secret } = (await (await put(org, { url: "https://example.com/cb" })).json()) as { secret: string };
    expect((await call("DELETE", "/future/webhook", undefined, { org })).status).toBe(204);
    for (const [method, path] of [
      ["GET", "/future/webhook"],
      ["DELETE", "/future/webhook"],
      ["GET", "/future/webhook/deliveries"],
      ["POST", "/future/webhook/deliveries/x.1/retry"],
    ] as const) {
      expect(await problemOf(await call(method, path, undefined, { org }))).toMatchObject({ status: 404, code: "NOT-00005" });
    }
    const again = (await (await put(org, { url: "https://example.com/cb" })).json()) as { secret: string };
    expect(again.secret).toMatch(/^whsec_/); // a new subscription's first PUT: its secret is shown
    expect(again.secret).not.toBe(secret);
  });
});

describe("GET /future/webhook/deliveries", () => {
  it("is empty for a new subscription and validates state", async () => {
    const org = newOrg();
    await put(org, { url: "https://example.com/cb" });
    for (const state of ["", "?state=pending", "?state=delivered", "?state=failed"]) {
      const response = await call("GET", `/future/webhook/deliveries${state}`, undefined, { org });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual([]);
    }
    const problem = await problemOf(await call("GET", "/future/webhook/deliveries?state=lost", undefined, { org }));
    expect(problem.errors?.state).toEqual(["Must be pending, delivered or failed."]);
  });
});

describe("POST /future/webhook/deliveries/{id}/retry", () => {
  it("is 404 without a code for an unknown delivery", async () => {
    const org = newOrg();
    await put(org, { url: "https://example.com/cb" });
    const problem = await problemOf(await call("POST", `/future/webhook/deliveries/${crypto.randomUUID()}.4/retry`, undefined, { org }));
    expect(problem.status).toBe(404);
    expect(problem.code).toBeUndefined();
  });
});

describe("authorisation", () => {
  it.each([
    ["PUT", "/future/webhook"],
    ["GET", "/future/webhook"],
    ["DELETE", "/future/webhook"],
    ["GET", "/future/webhook/deliveries"],
    ["POST", "/future/webhook/deliveries/x.1/retry"],
  ])("%s %s needs a token with the scope", async (method, path) => {
    const noToken = await call(method, path, method === "PUT" ? { url: "https://example.com/cb" } : undefined, { token: null });
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get("www-authenticate")).toBe("Bearer");
    const wrongScope = await call(method, path, method === "PUT" ? { url: "https://example.com/cb" } : undefined, { token: await tokenFor("ttd", { scope: "altinn:other" }) });
    expect(wrongScope.status).toBe(403);
  });
});

describe("the OpenAPI document", () => {
  it("describes the five operations, with NOT-00005", async () => {
    const doc = (await (await exports.default.fetch("http://localhost/openapi.json")).json()) as {
      paths: Record<string, Record<string, { operationId?: string; responses: Record<string, { description: string }> }>>;
    };
    const base = "/notifications/api/v1/future/webhook";
    expect(doc.paths[base]!.put!.operationId).toBe("putWebhook");
    expect(doc.paths[base]!.get!.operationId).toBe("getWebhook");
    expect(doc.paths[base]!.delete!.operationId).toBe("deleteWebhook");
    expect(doc.paths[`${base}/deliveries`]!.get!.operationId).toBe("listWebhookDeliveries");
    expect(doc.paths[`${base}/deliveries/{id}/retry`]!.post!.operationId).toBe("retryWebhookDelivery");
    expect(doc.paths[base]!.get!.responses["404"]!.description).toContain("NOT-00005");
    expect(Object.keys(doc.paths[base]!.put!.responses).sort()).toEqual(["200", "400", "401", "403", "413", "415", "503"]);
  });

  it("says the PUT answers the secret only when it made it", async () => {
    const doc = (await (await exports.default.fetch("http://localhost/openapi.json")).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { description: string; content: { "application/json": { schema: { $ref: string } } } }> }>>;
      components: { schemas: Record<string, { required?: string[]; properties: Record<string, { description?: string }> }> };
    };
    const answer = doc.paths["/notifications/api/v1/future/webhook"]!.put!.responses["200"]!;
    expect(answer.description).toContain("`secret` only when this PUT made it");
    const schema = doc.components.schemas[answer.content["application/json"].schema.$ref.split("/").at(-1)!]!;
    expect(schema.required).not.toContain("secret");
    expect(schema.properties["secret"]!.description).toContain("no later answer shows it");
  });
});
