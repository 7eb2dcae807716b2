// Which sender addresses an organisation may use (CONTRACT: emailSettings.senderEmailAddress): an
// organisation with its own list (emailSenders in LIMITS_ORGANISATIONS) only those; any other, where
// EMAIL_SENDER_DOMAINS names the deployment's sending domains, an address of one of them; where it is
// empty (local development, the README's examples, Altinn's own requests) any address. Else a 400 naming the field.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { newApp } from "../../src/api/app";
import { BASE, emailRequest, postEmail, problemOf, tokenFor } from "../support/api";
import { captureLogLines } from "../support/logs";

const FIELD = "recipientEmail.emailSettings.senderEmailAddress";
const RESTRICTED = "sender-restricted"; // vitest.config.ts: emailSenders ["noreply@altinn.example", "Post@Altinn.example"]
const app = newApp();

afterEach(() => vi.restoreAllMocks());

function withSender(sender: string | null) {
  const body = emailRequest();
  if (sender === null) delete (body.recipientEmail.emailSettings as { senderEmailAddress?: string }).senderEmailAddress;
  else body.recipientEmail.emailSettings.senderEmailAddress = sender;
  return body;
}

/** A registration under a deployment with these settings (the rest as configured for the tests). */
async function postEmailWith(settings: Partial<Env>, body: unknown, org = "ttd") {
  const request = new Request(`${BASE}/future/orders/instant/email`, {
    method: "POST",
    headers: { Authorization: `Bearer ${await tokenFor(org)}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return app.fetch(request, { ...env, ...settings }, createExecutionContext());
}

describe("an organisation restricted to its own sender addresses", () => {
  it("gets a 400 naming the field for another address, and nothing is registered", async () => {
    const response = await postEmail(withSender("noreply@example.com"), { org: RESTRICTED });
    expect(response.status).toBe(400);
    const problem = await problemOf(response);
    expect(Object.keys(problem.errors!)).toEqual([FIELD]);
    expect(problem.errors![FIELD]![0]).toContain("noreply@altinn.example");
  });

  it("gets a 201 for a listed address, in any case, and for the configured default", async () => {
    for (const sender of ["noreply@altinn.example", "POST@altinn.EXAMPLE", " post@altinn.example ", null]) {
      const response = await postEmail(withSender(sender), { org: RESTRICTED });
      expect(response.status, `${sender}: ${await response.clone().text()}`).toBe(201);
    }
  });

  it("keeps to its list where the deployment names its sending domains too", async () => {
    const domains = { EMAIL_SENDER_DOMAINS: "altinn.example" };
    expect((await postEmailWith(domains, withSender("other@altinn.example"), RESTRICTED)).status).toBe(400);
    expect((await postEmailWith(domains, withSender("noreply@altinn.example"), RESTRICTED)).status).toBe(201);
  });
});

describe("the deployment's sending domains (EMAIL_SENDER_DOMAINS)", () => {
  it("allow any address of those domains to any other organisation, and nothing else", async () => {
    const domains = { EMAIL_SENDER_DOMAINS: "altinn.example, Digdir.example" };
    for (const sender of ["noreply@altinn.example", "Someone@ALTINN.example", "post@digdir.example"]) {
      const response = await postEmailWith(domains, withSender(sender));
      expect(response.status, `${sender}: ${await response.clone().text()}`).toBe(201);
    }
    for (const sender of ["noreply@example.com", "noreply@mail.altinn.example", "noreply@altinn.example.evil.test"]) {
      const response = await postEmailWith(domains, withSender(sender));
      expect(response.status, sender).toBe(400);
      expect((await problemOf(response)).errors).toEqual({ [FIELD]: ["Must be an address of this deployment's sending domains: altinn.example, digdir.example."] });
    }
    // Left out: the configured default, the deployment's own, is never refused.
    expect((await postEmailWith(domains, withSender(null))).status).toBe(201);
  });

  it("empty (local development): any address, as the README's examples and Altinn's own requests send", async () => {
    for (const sender of ["noreply@example.com", "noreply@altinn.no"]) {
      expect((await postEmailWith({ EMAIL_SENDER_DOMAINS: "" }, withSender(sender))).status).toBe(201);
    }
  });

  it("not a domain: 503 and a log line naming the setting, never a silent allow", async () => {
    const lines = captureLogLines();
    const response = await postEmailWith({ EMAIL_SENDER_DOMAINS: "altinn.example, not a domain" }, withSender("noreply@altinn.example"));
    expect(response.status).toBe(503);
    expect((await problemOf(response)).code).toBe("NOT-00004");
    expect(lines.some((l) => l.includes('"limits.config_invalid"') && l.includes("EMAIL_SENDER_DOMAINS"))).toBe(true);
  });
});
