// No code at rest once a verification ends (issue 28, "What must be true" 3; CONTRACT.md, "One-time codes",
// Behaviour: "erased everywhere when the verification is approved, expires or runs out of attempts"):
// after each kind of end, with a 10-digit code, the verification's object and every message's order hold
// neither the code nor its sealed form, D1 holds no trace, and no log line had it. Expiry is reached by
// moving the clock and running the verification's alarm, as its time would.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { orderObjectOf, storedOrder, syncToD1 } from "../support/order";
import { eventually } from "../support/shipments";
import { checkAnswerOf, checkCode, codeOfSms, expectNotPending, startSms, viewOf, wrongCode } from "../support/verifications";
import { verificationStub } from "../../src/verifications/key";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function captureLogs(): string[] {
  const lines: string[] = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  }
  return lines;
}

/** Every row of every table of a Durable Object's SQLite storage, as text (table name first). */
function dumpStorage(state: DurableObjectState): string {
  const sql = state.storage.sql;
  const tables = sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").toArray();
  return tables.map(({ name }) => `${name}: ${JSON.stringify(sql.exec(`SELECT * FROM "${name}"`).toArray())}`).join("\n");
}

async function d1Dump(): Promise<string> {
  const { results: tables } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").all<{ name: string }>();
  const dumps = await Promise.all(tables.map(async ({ name }) => JSON.stringify((await env.DB.prepare(`SELECT * FROM "${name}"`).all()).results)));
  return dumps.join("\n");
}

/** After the end: the object's secret is gone, nothing stored anywhere (objects, D1) or logged shows the code. */
async function expectNoCodeAtRest(verificationId: string, code: string, logs: string[]) {
  const view = await viewOf(verificationId);
  const stub = verificationStub(env, verificationId);
  // The end's work (telling the orders) runs behind the answer: wait for the object to have done it.
  await eventually(
    () => runInDurableObject(stub, (_object, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM secret").one().n),
    (n) => n === 0,
    { what: "the verification's sealed secret to be erased" },
  );
  expect(await runInDurableObject(stub, (_object, state) => dumpStorage(state))).not.toContain(code);
  for (const { shipmentId } of view.shipments) {
    await eventually(async () => (await storedOrder(shipmentId)).content, (content) => content === null, { what: `the order of ${shipmentId} to hold no content` });
    expect(await runInDurableObject(await orderObjectOf(shipmentId), (_order, state) => dumpStorage(state))).not.toContain(code);
    await syncToD1(shipmentId);
  }
  expect(await d1Dump()).not.toContain(code);
  for (const line of logs) expect(line).not.toContain(code);
}

describe("no code at rest after the end", () => {
  it("approved while its message is held back by a failing provider: neither its object nor the order holds the code", async () => {
    const logs = captureLogs();
    // +4740000005: the provider fails every time, so the message is still waiting when the code is approved.
    const { created } = await startSms({ phoneNumber: "+4740000005", codeLength: 10 });
    const code = await codeOfSms(created.shipmentId);
    expect((await checkAnswerOf(await checkCode(created.verificationId, code))).status).toBe("approved");
    await expectNoCodeAtRest(created.verificationId, code, logs);
  });

  it("out of attempts: the same", async () => {
    const logs = captureLogs();
    const { created } = await startSms({ codeLength: 10, maxAttempts: 2 });
    const code = await codeOfSms(created.shipmentId);
    for (let i = 0; i < 2; i++) await checkCode(created.verificationId, wrongCode(code));
    expect((await viewOf(created.verificationId)).status).toBe("max_attempts");
    await expectNoCodeAtRest(created.verificationId, code, logs);
  });

  it("expired by its alarm, with no check at all: GET says expired, a right code is 410 expired, and nothing holds the code", async () => {
    const logs = captureLogs();
    const { created } = await startSms({ codeLength: 10, timeToLiveInSeconds: 60 });
    const code = await codeOfSms(created.shipmentId);
    expect((await viewOf(created.verificationId)).status).toBe("pending");

    vi.useFakeTimers({ toFake: ["Date"], now: Date.parse(created.expiresAt) + 1000 });
    expect(await runDurableObjectAlarm(verificationStub(env, created.verificationId))).toBe(true);
    vi.useRealTimers();

    expect((await viewOf(created.verificationId)).status).toBe("expired");
    await expectNotPending(await checkCode(created.verificationId, code), "expired");
    await expectNoCodeAtRest(created.verificationId, code, logs);
  });
});
