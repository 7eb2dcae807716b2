// What the browser checks share: headless Chromium from Debian's packages driven by puppeteer-core, and
// the service to check: a running one (--url http://127.0.0.1:8787) or one started here for the run.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import puppeteer from "puppeteer-core";
import { makeToken, note, ROOT, startService, stopAllGroups } from "../lib/local-service.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = join(ROOT, ".dev/screenshots");
export { makeToken, note };

/**
 * Runs `check(page, baseUrl, service)` in headless Chromium (`service`: the one started for the run, or
 * null with --url); exits 0 when it passes, 1 when it fails, 2 when it
 * cannot run. Any error the page reports fails the check, except those matching `expectedErrors`.
 */
export async function runBrowserCheck(name, usage, check, { expectedErrors = [] } = {}) {
  let options;
  try {
    ({ values: options } = parseArgs({ options: { url: { type: "string" }, help: { type: "boolean", short: "h" } } }));
  } catch (error) {
    console.error(`${error.message}\n${usage}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(usage);
    process.exit(0);
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`${name}: headless Chromium is needed at ${CHROMIUM} (or set CHROMIUM_PATH). Install Debian's package:\n  apt-get update && apt-get install -y chromium`);
    process.exit(2);
  }

  let service = null;
  let browser = null;
  let failed = false;
  try {
    let baseUrl = options.url?.replace(/\/+$/, "");
    if (!baseUrl) {
      note(`${name}: starting the service (wrangler dev on a free loopback port)…`);
      service = await startService({ label: "browser" });
      baseUrl = service.baseUrl;
    }
    // As root (CI, containers) Chromium's own sandbox cannot start; the pages are our own.
    const args = process.getuid?.() === 0 ? ["--no-sandbox"] : [];
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args, defaultViewport: { width: 1280, height: 900 } });
    const page = await browser.newPage();
    const pageErrors = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") pageErrors.push(message.text());
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
    await check(page, baseUrl, service);
    const unexpected = pageErrors.filter((text) => !expectedErrors.some((pattern) => pattern.test(text)));
    if (unexpected.length > 0) throw new Error(`the page reported errors:\n  ${unexpected.join("\n  ")}`);
    console.log(`${name}: passed`);
  } catch (error) {
    failed = true;
    console.error(`${name}: FAILED: ${error.message}`);
    if (service) console.error(`service log (last lines):\n${service.tail()}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await service?.stop().catch(() => undefined);
    await stopAllGroups();
  }
  process.exit(failed ? 1 : 0);
}

/** Fails with `what` unless `condition` holds. */
export function ensure(condition, what) {
  if (!condition) throw new Error(what);
}
