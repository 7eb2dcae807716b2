// Reads GET /future/stats for one organisation (today's figures of a channel), and replays an order's changes.
import { runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { Figures } from "../../src/stats/figures";
import { call } from "./api";
import { orderObjectOf, syncToD1 } from "./order";

/** One day and channel of GET /future/stats: the figures the service computes (src/stats/figures.ts). */
export type StatsDay = Figures & { date: string; channel: string };

export async function todaysStats(org: string, channel: "sms" | "email" = "sms"): Promise<StatsDay> {
  const response = await call("GET", `/future/stats?channel=${channel}`, undefined, { org });
  expect(response.status).toBe(200);
  const today = new Date().toISOString().slice(0, 10);
  return ((await response.json()) as { days: StatsDay[] }).days.find((d) => d.date === today)!;
}

/**
 * Makes the order send every change again, from its registration on, as after answers the writer gave
 * but the order never got (its events are marked unsent, the state as not pushed).
 */
export async function resendEverything(shipmentId: string): Promise<void> {
  await runInDurableObject(await orderObjectOf(shipmentId), (_instance, state) => {
    state.storage.sql.exec("UPDATE events SET synced = 0");
    state.storage.sql.exec("UPDATE shipment SET pushed_seq = 0");
  });
  await syncToD1(shipmentId);
}
