// npm run check:performance [-- --url http://127.0.0.1:8787]
// Opens /performance in headless Chromium as a person would, after sending a few messages: every chart is
// drawn (visible, not empty) with its table beside it, today's row of the tables counts what was sent,
// no organisation is named, the page loads nothing from elsewhere and runs no script, and a screen
// reader is given the tables (the charts are hidden from it). Screenshots go to .dev/screenshots/.
import { join } from "node:path";
import { ensure, makeToken, note, runBrowserCheck, SCREENSHOTS } from "./browser.mjs";

const USAGE = `Usage: npm run check:performance [-- --url <base URL of a running service>]
Without --url, starts the service for the run. Needs Debian's chromium (apt-get install -y chromium).`;
const API = "/notifications/api/v1";
const ORG = "performance-check-org";

async function send(baseUrl, token, channel, i) {
  const body =
    channel === "sms"
      ? { idempotencyId: `perf-${crypto.randomUUID()}`, recipientSms: { phoneNumber: `+4799${String(100000 + i * 7919).slice(-6)}`, timeToLiveInSeconds: 120, smsSettings: { sender: "Altinn", body: "Performance check" } } }
      : { idempotencyId: `perf-${crypto.randomUUID()}`, recipientEmail: { emailAddress: `perf.${i}@example.com`, emailSettings: { subject: "Check", body: "Performance check", senderEmailAddress: "noreply@example.com", contentType: "Plain" } } };
  const response = await fetch(`${baseUrl}${API}/future/orders/instant/${channel}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  ensure(response.status === 201, `registering a ${channel} answered ${response.status}`);
}

await runBrowserCheck("check:performance", USAGE, async (page, baseUrl) => {
  const token = await makeToken(ORG);
  for (let i = 0; i < 3; i++) await send(baseUrl, token, "sms", i);
  for (let i = 0; i < 2; i++) await send(baseUrl, token, "email", i);
  // The figures follow the write-behind within seconds, and the page keeps them a minute: wait for the statistics first.
  const today = new Date().toISOString().slice(0, 10);
  for (let tries = 0; ; tries++) {
    const stats = await (await fetch(`${baseUrl}${API}/future/stats?from=${today}&to=${today}`, { headers: { authorization: `Bearer ${token}` } })).json();
    if (stats.totals.registered >= 5 && stats.totals.pending === 0) break;
    ensure(tries < 60, `the statistics did not catch up: ${JSON.stringify(stats.totals)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  note("check:performance: 3 SMS and 2 emails sent and counted; opening the page…");

  const outside = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(baseUrl) && !request.url().startsWith("data:")) outside.push(request.url());
  });
  // The page may hold figures from before the messages (a minute at most): reload until today's row has them.
  let row;
  for (let tries = 0; ; tries++) {
    const response = await page.goto(`${baseUrl}/performance`, { waitUntil: "networkidle0" });
    ensure(response.status() === 200, `/performance answered ${response.status()}`);
    row = await page.$$eval("#messages tbody tr", (rows, day) => rows.map((r) => [...r.children].map((c) => c.textContent)).find((cells) => cells[0] === day), today);
    if (row && Number(row[1].replace(/\D/g, "")) >= 3 && Number(row[3].replace(/\D/g, "")) >= 2) break;
    ensure(tries < 15, `today's row does not count the messages sent: ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
  note(`check:performance: today's row: ${row.join(" | ")}`);

  for (const id of ["messages", "within-10s", "delivery", "providers"]) {
    const chart = await page.$eval(`#${id} svg`, (svg) => {
      const box = svg.getBoundingClientRect();
      return { width: box.width, height: box.height, hidden: svg.getAttribute("aria-hidden"), marks: svg.querySelectorAll("rect, polyline, circle").length };
    });
    ensure(chart.width > 200 && chart.height > 50, `the ${id} chart is not drawn at a readable size (${chart.width}×${chart.height})`);
    ensure(chart.marks > 0, `the ${id} chart draws nothing`);
    ensure(chart.hidden === "true", `the ${id} chart is not hidden from screen readers (its table carries the figures)`);
    const beside = await page.$eval(`#${id}`, (section) => {
      const svg = section.querySelector("svg").getBoundingClientRect();
      const table = section.querySelector("table").getBoundingClientRect();
      return table.left >= svg.right - 1 && table.top < svg.bottom;
    });
    ensure(beside, `the ${id} table is not beside its chart`);
  }
  const objective = await page.$eval("#within-10s", (el) => el.innerText);
  ensure(/objective 99\.9/.test(objective), "the within-10 s chart does not show the objective");

  // What a screen reader is given (the whole tree, not only the "interesting" nodes): the tables, not the charts.
  const snapshot = await page.accessibility.snapshot({ interestingOnly: false });
  const names = [];
  (function walk(node) {
    if (!node) return;
    names.push(`${node.role}:${node.name ?? ""}`);
    for (const child of node.children ?? []) walk(child);
  })(snapshot);
  ensure(names.filter((n) => n.startsWith("table:")).length === 7, `a screen reader does not get the 7 tables: ${names.filter((n) => n.startsWith("table")).join(", ")}`);
  ensure(!names.some((n) => n.startsWith("image:") || n.startsWith("graphics")), "a chart reaches the screen reader");

  const text = await page.evaluate(() => document.body.innerText);
  ensure(!text.includes(ORG), "the page names an organisation");
  ensure((await page.$$("script")).length === 0, "the page carries a script");
  ensure(outside.length === 0, `the page loaded from outside this service: ${outside.join(", ")}`);
  await page.screenshot({ path: join(SCREENSHOTS, "performance.png"), fullPage: true });
  note(`check:performance: screenshot: ${SCREENSHOTS}/performance.png`);
});
