// A problem with a code is shaped as Altinn's (Altinn.Authorization.ProblemDetails): `type`
// `urn:altinn:error:<code>`, the code's own title, and here a help link to the code's explanation.
import { describe, expect, it } from "vitest";
import { ApiError, problemBody, problemHeaders, type ProblemCode } from "../../src/api/problem";
import { call, postSms, problemOf, smsRequest } from "../support/api";

// Altinn's own titles for its codes; this service's short titles for its own.
const EXPECTED: [ProblemCode, number, string][] = [
  ["NOT-00003", 404, "Shipment not found"],
  ["NOT-00004", 503, "A temporary network failure occurred"],
  ["NOT-00005", 404, "No status-callback subscription"],
  ["NOT-10001", 422, "Idempotency key reused with a different request"],
  ["NOT-10002", 429, "Request rate limit reached"],
  ["NOT-10003", 429, "Recipient limit reached"],
  ["NOT-10004", 429, "Daily volume limit reached"],
];

describe("ApiError.of: one table of code → status and title", () => {
  it.each(EXPECTED)("%s is a %i titled %j, typed urn:altinn:error:<code>, with a help link", (code, status, title) => {
    const error = ApiError.of(code, { detail: "Why.", headers: { "Retry-After": "5" } });
    expect(error.status).toBe(status);
    expect(error.code).toBe(code);
    expect(problemBody(error.status, "trace", { ...error.options, code: error.code })).toEqual({
      type: `urn:altinn:error:${code}`,
      title,
      status,
      code,
      detail: "Why.",
      traceId: "trace",
    });
    expect(problemHeaders(error)).toEqual({ "Retry-After": "5", Link: `</docs#problem-${code}>; rel="help"` });
  });

  it("a problem without a code keeps its HTTP status title, links RFC 9110 and has no help link", () => {
    const error = new ApiError(400, { detail: "Validation failed.", errors: { idempotencyId: ["Required"] } });
    expect(error.code).toBeUndefined();
    expect(problemBody(400, "trace", error.options)).toMatchObject({ type: "https://www.rfc-editor.org/rfc/rfc9110#status.400", title: "Bad Request" });
    expect(problemHeaders(error)).toEqual({});
  });
});

describe("coded problems through the Worker", () => {
  it("Altinn's ShipmentNotFound: 404 NOT-00003 \"Shipment not found\" with Link to its anchor", async () => {
    const response = await call("GET", `/future/shipment/${crypto.randomUUID()}`);
    expect(response.status).toBe(404);
    expect(response.headers.get("link")).toBe('</docs#problem-NOT-00003>; rel="help"');
    expect(await problemOf(response)).toMatchObject({ type: "urn:altinn:error:NOT-00003", title: "Shipment not found", status: 404, code: "NOT-00003" });
  });

  it("a reused key with another request, where the organisation chose the strict answer: 422 NOT-10001 with its own title and help link", async () => {
    const org = "idempotency-strict";
    const request = smsRequest();
    expect((await postSms(request, { org })).status).toBe(201);
    const response = await postSms({ ...request, recipientSms: { ...request.recipientSms, timeToLiveInSeconds: 121 } }, { org });
    expect(response.status).toBe(422);
    expect(response.headers.get("link")).toBe('</docs#problem-NOT-10001>; rel="help"');
    expect(await problemOf(response)).toMatchObject({ type: "urn:altinn:error:NOT-10001", title: "Idempotency key reused with a different request" });
  });

  it("the deprecated endpoint's problem carries both links: the help one and its successor", async () => {
    const { recipientSms, ...rest } = smsRequest();
    const request = { ...rest, recipient: { recipientSms } };
    const org = "idempotency-strict";
    expect((await call("POST", "/future/orders/instant", request, { org })).status).toBe(201);
    const response = await call("POST", "/future/orders/instant", { ...request, sendersReference: "another" }, { org });
    expect(response.status).toBe(422);
    const links = (response.headers.get("link") ?? "").split(/,\s*/);
    expect(links).toContain('</docs#problem-NOT-10001>; rel="help"');
    expect(links).toContain('</notifications/api/v1/future/orders/instant/sms>; rel="successor-version"');
  });

  it("a validation failure has no code and no help link", async () => {
    const response = await postSms({ ...smsRequest(), idempotencyId: "" });
    expect(response.status).toBe(400);
    expect(response.headers.get("link")).toBeNull();
    expect(await problemOf(response)).not.toHaveProperty("code");
  });
});
