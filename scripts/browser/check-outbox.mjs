// npm run check:outbox [-- --url http://127.0.0.1:8787]
// Sends an SMS and an HTML email through the API, waits a minute (long enough for workerd to evict the
// idle simulator object), restarts the service when it started it itself (as a developer restarts
// `npm start`), and only then opens /outbox in headless Chromium: both messages are still there, with
// their bodies as the recipient sees them, the SMS's timeline at SMS_Delivered, the email's HTML in its
// sandboxed frame (its script and remote image blocked) and its plain-text part beside it. Then the
// page's button clears the outbox. Screenshot: .dev/screenshots/outbox.png.
import { randomInt, randomUUID } from "node:crypto";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ensure, makeToken, note, runBrowserCheck, SCREENSHOTS } from "./browser.mjs";

const USAGE = `Usage: npm run check:outbox [-- --url <base URL of a running local service>]
Without --url, starts the service for the run (and restarts it once). Takes a little over a minute.
It clears the outbox at the end (the page's button). Needs Debian's chromium (apt-get install -y chromium).`;
const API = "/notifications/api/v1/future/orders/instant";
/** A developer opens the outbox a while after sending; the simulator object is evicted after ~10 s idle. */
const WAIT_BEFORE_LOOKING_MS = 60_000;

// What the email tries and the page must refuse: its script (sandbox) and a remote image (the policy).
const SCRIPT_BLOCKED = /Blocked script execution in 'about:srcdoc'.*sandboxed/;
const IMAGE_BLOCKED = /Loading the image 'https:\/\/tracker\.example\/p\.gif' violates .*Content Security Policy/;

await runBrowserCheck("check:outbox", USAGE, async (page, baseUrl, service) => {
  const refused = [];
  page.on("console", (message) => refused.push(message.text()));

  const code = String(randomInt(100000, 999999));
  const token = await makeToken("ttd");
  const post = async (channel, body) => {
    const response = await fetch(`${baseUrl}${API}/${channel}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(`POST …/instant/${channel} answered ${response.status}: ${await response.text()}`);
    return (await response.json()).notification.shipmentId;
  };
  const smsShipment = await post("sms", {
    idempotencyId: randomUUID(),
    sendersReference: "check-outbox",
    recipientSms: { phoneNumber: "+4799999999", timeToLiveInSeconds: 120, smsSettings: { sender: "Altinn", body: `Your code is ${code}` } },
  });
  await post("email", {
    idempotencyId: randomUUID(),
    recipientEmail: {
      emailAddress: "user@example.com",
      emailSettings: {
        subject: `Sign-in code ${code}`,
        body: `<h2 style="color:#0969da">Your code is <b>${code}</b></h2><p>Not you? <a href="https://example.com/help">Get help</a></p><script>parent.document.title = "script ran"</script><img src="https://tracker.example/p.gif">`,
        contentType: "Html",
      },
    },
  });
  note(`sent an SMS and an email with code ${code}; waiting ${WAIT_BEFORE_LOOKING_MS / 1000} s before looking…`);
  await sleep(WAIT_BEFORE_LOOKING_MS);
  if (service) {
    note("restarting the service (as after stopping and starting npm start)…");
    await service.halt();
    await service.restart();
  }

  await page.goto(`${baseUrl}/outbox`, { waitUntil: "networkidle0" });
  const title = await page.title();
  await page.waitForFunction((text) => document.body.innerText.includes(text), { timeout: 15_000 }, `Your code is ${code}`);
  await page.waitForFunction(
    (shipment) => [...document.querySelectorAll("article.message")].some((m) => m.innerText.includes(shipment) && m.innerText.includes("SMS_Delivered")),
    { timeout: 15_000 },
    smsShipment,
  );
  note("a minute on, the SMS body and its SMS_Delivered status are still there");

  const frameHandle = await page.waitForSelector("iframe.body", { timeout: 15_000 });
  ensure((await frameHandle.evaluate((f) => f.getAttribute("sandbox"))) === "", "the email frame is not fully sandboxed");
  const frame = await frameHandle.contentFrame();
  await frame.waitForFunction((text) => document.body?.innerText.includes(text), { timeout: 5000 }, `Your code is ${code}`);
  ensure(await page.evaluate((subject) => document.body.innerText.includes(subject), `Sign-in code ${code}`), "the email's subject is not shown");
  const textPart = await page.$eval("pre.text-part", (pre) => pre.textContent);
  ensure(textPart === `Your code is ${code}\n\nNot you? Get help (https://example.com/help)`, `the email's plain-text part is not as expected: ${JSON.stringify(textPart)}`);
  ensure((await page.title()) === title, "the email's script ran");
  ensure(refused.some((text) => SCRIPT_BLOCKED.test(text)), "Chromium did not report the email's script as blocked");
  ensure(refused.some((text) => IMAGE_BLOCKED.test(text)), "Chromium did not report the email's remote image as blocked");
  note("the HTML email is rendered in its sandboxed frame (script and remote image blocked), its plain-text part beside it");
  await page.screenshot({ path: join(SCREENSHOTS, "outbox.png"), fullPage: true });
  note(`screenshot: ${SCREENSHOTS}/outbox.png`);

  await page.click("#clear");
  await page.waitForFunction(() => !document.getElementById("empty").hidden && document.querySelectorAll("article.message").length === 0, { timeout: 10_000 });
  const { messages } = await (await fetch(`${baseUrl}/outbox/messages.json`)).json();
  ensure(messages.length === 0, `the outbox still lists ${messages.length} messages after the clear`);
  note("the page's button cleared the outbox");
}, { expectedErrors: [SCRIPT_BLOCKED, IMAGE_BLOCKED] });
