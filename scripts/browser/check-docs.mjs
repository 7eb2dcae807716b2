// npm run check:docs [-- --url http://127.0.0.1:8787]
// Opens /docs in headless Chromium as a person would: the reference renders from this service's own files,
// the SMS request shows its fields, a call made with a pasted token answers 200, and a problem's type link
// lands on the explanation of its code. Screenshots go to .dev/screenshots/.
import { join } from "node:path";
import { ensure, makeToken, note, runBrowserCheck, SCREENSHOTS } from "./browser.mjs";

const USAGE = `Usage: npm run check:docs [-- --url <base URL of a running service>]
Without --url, starts the service for the run. Needs Debian's chromium (apt-get install -y chromium).`;

await runBrowserCheck("check:docs", USAGE, async (page, baseUrl) => {
  const outside = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(baseUrl) && !request.url().startsWith("data:")) outside.push(request.url());
  });

  await page.goto(`${baseUrl}/docs`, { waitUntil: "networkidle0" });
  await page.waitForSelector("#operations-Orders-registerInstantSms", { timeout: 15_000 });
  note("the reference rendered; opening the SMS operation…");

  // The SMS operation: its request body lists the fields.
  await page.click("#operations-Orders-registerInstantSms .opblock-summary");
  await page.waitForSelector("#operations-Orders-registerInstantSms .opblock-body", { timeout: 5000 });
  // Text as shown, and the request body the page offers to send (an editable example under "Try it out").
  const sms = await page.$eval("#operations-Orders-registerInstantSms", (el) =>
    [el.innerText, ...[...el.querySelectorAll("textarea")].map((t) => t.value)].join("\n"),
  );
  for (const field of ["phoneNumber", "timeToLiveInSeconds", "smsSettings", "idempotencyId"]) {
    ensure(sms.includes(field), `the SMS operation does not show the field ${field}`);
  }
  await (await page.$("#operations-Orders-registerInstantSms")).screenshot({ path: join(SCREENSHOTS, "docs-sms.png") });

  // Try it out with a pasted token: Authorize, then execute the feed.
  await page.click(".btn.authorize");
  await page.waitForSelector(".auth-container input", { timeout: 5000 });
  await page.type(".auth-container input", await makeToken("ttd"));
  await page.click(".auth-btn-wrapper .btn.modal-btn.auth.authorize");
  await page.click(".auth-btn-wrapper .btn-done");
  await page.click("#operations-Shipments-getShipmentFeed .opblock-summary");
  await page.waitForSelector("#operations-Shipments-getShipmentFeed .execute", { timeout: 5000 });
  await page.click("#operations-Shipments-getShipmentFeed .execute");
  await page.waitForSelector("#operations-Shipments-getShipmentFeed .live-responses-table tr.response .response-col_status", { timeout: 10_000 });
  const status = await page.$eval("#operations-Shipments-getShipmentFeed .live-responses-table tr.response .response-col_status", (el) => el.innerText.trim());
  ensure(status.startsWith("200"), `the feed called from the page answered ${status}, not 200`);
  note(`try it out with a pasted token: GET …/shipment/feed answered ${status}`);
  await (await page.$("#operations-Shipments-getShipmentFeed")).screenshot({ path: join(SCREENSHOTS, "docs-try-it.png") });

  // A problem's type link lands on its code's explanation.
  await page.goto(`${baseUrl}/docs#problem-NOT-10001`, { waitUntil: "networkidle0" });
  await page.waitForSelector("#operations-Orders-registerInstantSms", { timeout: 15_000 });
  await page.waitForFunction(() => {
    const box = document.getElementById("problem-NOT-10001")?.getBoundingClientRect();
    return box !== undefined && box.top >= 0 && box.bottom <= window.innerHeight;
  }, { timeout: 5000 });
  const explained = await page.$eval("#problem-NOT-10001 + dd", (el) => el.innerText);
  ensure(explained.includes("idempotencyId"), "the NOT-10001 anchor does not explain the code");
  await page.screenshot({ path: join(SCREENSHOTS, "docs-problem.png") });

  ensure(outside.length === 0, `the page loaded from outside this service: ${outside.join(", ")}`);
  note(`screenshots: ${SCREENSHOTS}/docs-sms.png, docs-try-it.png, docs-problem.png`);
});

