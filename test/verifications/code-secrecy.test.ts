// The code leaves the service only inside the messages to the person (CONTRACT.md, "One-time codes",
// Behaviour): never in a response, a problem's detail, a log line, a queue message or D1, through a
// verification's whole life (start, replays, wrong and right checks, resends, the fallback, the ends).
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, uniqueKey } from "../support/api";
import { syncToD1 } from "../support/order";
import { spyOnQueue } from "../support/queue";
import { waitForShipment } from "../support/shipments";
import {
  checkCode,
  codeOfSms,
  fallbackEmail,
  getVerification,
  postEmailVerification,
  postSmsVerification,
  resend,
  smsVerification,
  emailVerification,
  EMAIL_TEMPLATE,
  FALLBACK_TEMPLATE,
  codeIn,
  outboxOf,
  waitForView,
  wrongCode,
} from "../support/verifications";

afterEach(() => vi.restoreAllMocks());

function captureLogs(): string[] {
  const lines: string[] = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  }
  return lines;
}

/** Every response's status line, headers and body, kept as text, so the test can search all of them. */
function recorder() {
  const seen: string[] = [];
  const keep = async (response: Response) => {
    const text = await response.clone().text();
    seen.push(`${response.status} ${JSON.stringify([...response.headers])} ${text}`);
    return response;
  };
  return { seen, keep };
}

/** Every row of every table of a D1 shard, as text. */
async function everyRow(db: D1Database): Promise<string> {
  const { results: tables } = await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").all<{ name: string }>();
  const dumps = await Promise.all(tables.map(async ({ name }) => JSON.stringify((await db.prepare(`SELECT * FROM "${name}"`).all()).results)));
  return dumps.join("\n");
}

describe("the code", () => {
  it("is in no response, problem, log line, queue message or D1 row through an SMS verification's whole life", async () => {
    const logs = captureLogs();
    const queued = spyOnQueue(env.SMS_QUEUE);
    const { seen, keep } = recorder();

    // 10 digits: nothing else in a response or a log line is that by chance.
    const request = smsVerification({ codeLength: 10, maxAttempts: 3, webOtpDomain: "login.example.no", fallbackEmail: fallbackEmail({ afterSeconds: 600 }) });
    const startResponse = await keep(await postSmsVerification(request));
    const created = (await startResponse.json()) as { verificationId: string; shipmentId: string };
    const code = await codeOfSms(created.shipmentId);
    expect(code).toMatch(/^\d{10}$/);

    await keep(await postSmsVerification(request)); // replay
    await keep(await postSmsVerification({ ...request, message: "Other: {code}" })); // 422
    await keep(await getVerification(created.verificationId));
    await keep(await checkCode(created.verificationId, wrongCode(code))); // denied
    const resendKey = uniqueKey("resend");
    const resendResponse = await keep(await resend(created.verificationId, resendKey));
    await keep(await resend(created.verificationId, resendKey)); // replay
    const { shipmentId: resent } = (await resendResponse.json()) as { shipmentId: string };
    await waitForShipment(resent, (s) => s.status === "Order_Completed");
    await keep(await getVerification(created.verificationId));
    await keep(await checkCode(created.verificationId, code)); // approved
    await keep(await checkCode(created.verificationId, code)); // 410
    await keep(await resend(created.verificationId)); // 409
    await keep(await getVerification(created.verificationId));
    for (const id of [created.shipmentId, resent]) await keep(await call("GET", `/future/shipment/${id}`));
    await keep(await call("GET", "/future/shipment/feed"));

    expect(seen.map((s) => Number(s.slice(0, 3)))).toEqual([201, 200, 422, 200, 200, 201, 200, 200, 200, 410, 409, 200, 200, 200, 200]);
    for (const text of seen) expect(text).not.toContain(code);
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) expect(line).not.toContain(code);
    // Nor the recipient (the team's rule for logs): neither the number's national digits nor the fallback address.
    for (const line of logs) {
      expect(line).not.toContain(request.phoneNumber.slice(3));
      expect(line).not.toContain((request.fallbackEmail as { emailAddress: string }).emailAddress);
    }
    for (const [message] of queued.mock.calls) expect(JSON.stringify(message)).not.toContain(code);

    await syncToD1(created.shipmentId);
    await syncToD1(resent);
    expect(await everyRow(env.DB)).not.toContain(code);
  });

  it("is in no response, problem or log line when it runs out of attempts or expires", async () => {
    const logs = captureLogs();
    const { seen, keep } = recorder();
    const start = await keep(await postSmsVerification(smsVerification({ codeLength: 10, maxAttempts: 1 })));
    const created = (await start.json()) as { verificationId: string; shipmentId: string };
    const code = await codeOfSms(created.shipmentId);
    await keep(await checkCode(created.verificationId, wrongCode(code)));
    await keep(await checkCode(created.verificationId, code)); // 410 max_attempts
    await keep(await getVerification(created.verificationId));

    const ttl = await keep(await postSmsVerification(smsVerification({ codeLength: 10, timeToLiveInSeconds: 60 })));
    const expiring = (await ttl.json()) as { verificationId: string; shipmentId: string; expiresAt: string };
    const expiringCode = await codeOfSms(expiring.shipmentId);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.parse(expiring.expiresAt) + 1000 });
    try {
      await keep(await checkCode(expiring.verificationId, expiringCode)); // 410 expired
      await keep(await getVerification(expiring.verificationId));
    } finally {
      vi.useRealTimers();
    }

    expect(seen.map((s) => Number(s.slice(0, 3)))).toEqual([201, 200, 410, 200, 201, 410, 200]);
    for (const text of seen) {
      expect(text).not.toContain(code);
      expect(text).not.toContain(expiringCode);
    }
    for (const line of logs) {
      expect(line).not.toContain(code);
      expect(line).not.toContain(expiringCode);
    }
  });

  it("is in no log line when the SMS fails and the fallback email carries it, nor is the fallback address", async () => {
    const logs = captureLogs();
    const fallback = fallbackEmail({ afterSeconds: 600 });
    const start = await postSmsVerification(smsVerification({ codeLength: 10, phoneNumber: "+4740000001", fallbackEmail: fallback }));
    const created = (await start.json()) as { verificationId: string; shipmentId: string };
    const view = await waitForView(created.verificationId, (v) => v.shipments.length === 2 && v.shipments[1]!.status === "Email_Delivered");
    const [email] = await outboxOf(view.shipments[1]!.shipmentId);
    const code = codeIn(email!.body, FALLBACK_TEMPLATE);
    await checkCode(created.verificationId, code);
    for (const line of logs) {
      expect(line).not.toContain(code);
      expect(line).not.toContain(fallback.emailAddress);
    }
  });

  it("is in no response or log line of an email verification", async () => {
    const logs = captureLogs();
    const { seen, keep } = recorder();
    const start = await keep(await postEmailVerification(emailVerification({ codeLength: 10, idempotencyId: uniqueKey("secret-email") })));
    const created = (await start.json()) as { verificationId: string; shipmentId: string };
    const [email] = await outboxOf(created.shipmentId);
    const code = codeIn(email!.body, EMAIL_TEMPLATE);
    await keep(await checkCode(created.verificationId, code));
    await keep(await getVerification(created.verificationId));
    await waitForView(created.verificationId, (v) => v.shipments[0]!.status === "Email_Delivered");
    for (const text of seen) expect(text).not.toContain(code);
    for (const line of logs) expect(line).not.toContain(code);
  });
});
