// The go-live's last step (`npm run smoke`, scripts/smoke.mjs): through the deployment's public API,
// /health/ready, then one SMS and one email, then their manifests until each recipient is in a final
// status. It prints shipment ids and statuses, never the token, a recipient or a body.

export const API = "/notifications/api/v1";

/** A recipient status no later report changes (CONTRACT.md, "Statuses"). */
export function isFinal(status) {
  return status === "SMS_Delivered" || status === "Email_Delivered" || /^(SMS|Email)_Failed/.test(status ?? "");
}

/** The two orders, unique per run (a new idempotencyId each time). */
export function smokeOrders({ to, email, from, sender, now = new Date(), id = () => crypto.randomUUID() }) {
  const text = `Smoke test of instant notifications, ${now.toISOString()}. No action needed.`;
  return [
    {
      channel: "sms",
      delivered: "SMS_Delivered",
      path: `${API}/future/orders/instant/sms`,
      body: { idempotencyId: `smoke-${id()}`, sendersReference: "smoke-test", recipientSms: { phoneNumber: to, timeToLiveInSeconds: 300, smsSettings: { body: text, ...(sender ? { sender } : {}) } } },
    },
    {
      channel: "email",
      delivered: "Email_Delivered",
      path: `${API}/future/orders/instant/email`,
      body: {
        idempotencyId: `smoke-${id()}`,
        sendersReference: "smoke-test",
        recipientEmail: { emailAddress: email, emailSettings: { subject: "Smoke test", body: text, contentType: "Plain", ...(from ? { senderEmailAddress: from } : {}) } },
      },
    },
  ];
}

/** A problem+json answer in one line: status, code, title and detail (none of them holds a secret). */
async function problemLine(response) {
  const text = await response.text();
  try {
    const p = JSON.parse(text);
    return [response.status, p.code, p.title, p.detail].filter(Boolean).join(" ");
  } catch {
    return `${response.status} ${text.slice(0, 200)}`;
  }
}

/**
 * Runs the smoke test; answers the exit code: 0 when both are delivered, 1 when either ends otherwise,
 * is not final within `timeoutMs`, or cannot be registered; 2 when the deployment is not ready.
 */
export async function runSmoke({ base, token, to, email, from, sender, timeoutMs = 180_000, pollMs = 2_000, fetch = globalThis.fetch, print = console.log, sleep = (ms) => new Promise((r) => setTimeout(r, ms)), now = () => Date.now() }) {
  const origin = base.replace(/\/+$/, "");
  const auth = { Authorization: `Bearer ${token}` };

  const ready = await fetch(`${origin}/health/ready`);
  const readiness = await ready.json().catch(() => ({}));
  if (ready.status !== 200) {
    const failing = Object.entries(readiness.checks ?? {}).filter(([, result]) => result !== "ok");
    print(`not ready (${ready.status}):${failing.map(([name, result]) => `\n  ${name}: ${result}`).join("") || " no checks in the answer"}`);
    return 2;
  }
  print(`ready: ${Object.keys(readiness.checks ?? {}).join(", ")}`);

  const shipments = [];
  for (const order of smokeOrders({ to, email, from, sender })) {
    const response = await fetch(`${origin}${order.path}`, { method: "POST", headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify(order.body) });
    if (response.status !== 201 && response.status !== 200) {
      print(`${order.channel.padEnd(5)} not registered: ${await problemLine(response)}`);
      return 1;
    }
    const { notification } = await response.json();
    print(`${order.channel.padEnd(5)} ${notification.shipmentId} registered`);
    shipments.push({ ...order, id: notification.shipmentId, status: undefined });
  }

  const start = now();
  while (shipments.some((s) => !isFinal(s.status))) {
    if (now() - start >= timeoutMs) break;
    await sleep(pollMs);
    for (const shipment of shipments.filter((s) => !isFinal(s.status))) {
      const response = await fetch(`${origin}${API}/future/shipment/${encodeURIComponent(shipment.id)}`, { headers: auth });
      if (response.status !== 200) {
        print(`${shipment.channel.padEnd(5)} ${shipment.id} manifest: ${await problemLine(response)}`);
        continue;
      }
      const status = (await response.json()).recipients?.[0]?.status;
      if (status !== shipment.status) print(`${shipment.channel.padEnd(5)} ${shipment.id} ${status} (${Math.round((now() - start) / 1000)} s)`);
      shipment.status = status;
    }
  }

  const failed = shipments.filter((s) => s.status !== s.delivered);
  for (const s of failed) print(`${s.channel.padEnd(5)} ${s.id} ${isFinal(s.status) ? `ended ${s.status}` : `still ${s.status ?? "unknown"} after ${Math.round(timeoutMs / 1000)} s`}`);
  print(failed.length === 0 ? "smoke test passed: SMS_Delivered, Email_Delivered" : "smoke test FAILED");
  return failed.length === 0 ? 0 : 1;
}
