// The one-off sweep that keys the request fingerprints earlier versions stored unkeyed (fingerprint.ts),
// in place. It walks the orders D1 knows: each shard of D1_SHARDS in turn, its shipments by shipment id,
// one page per call; each page returns the cursor the next starts from, so an interrupted sweep goes on
// where it stopped. Idempotent: an order already keyed is counted, never changed, so running it again
// (or over a page already done) is harmless. An order D1 does not know yet is keyed at its next replay.
import { logError } from "../log";
import { database, shardNames } from "../store/shards";
import { orderStubForShipment } from "./order-key";

/** What one page found; the caller sums the pages. */
export interface SweepPage {
  shard: string;
  scanned: number;
  wrapped: number;
  alreadyKeyed: number;
  missing: number;
  /** Orders that could not be reached (logged with their shipment id): sweep again, the rest is skipped quickly. */
  failed: number;
  /** The cursor of the next page; null when every shard is done. */
  next: string | null;
}

export interface SweepCursor {
  shard: string;
  /** The last shipment id done on that shard ("" for none). */
  after: string;
}

export const MAX_SWEEP_PAGE = 500;
/** Order objects called at once: a Worker invocation holds at most 6 outgoing connections. */
const AT_ONCE = 6;

/**
 * The cursor `<shard>:<last shipment id>` (`DB:` starts shard DB), or the first shard's start when
 * absent. Null when it names no shard of this deployment or is not of that form.
 */
export function parseCursor(cursor: string | undefined, shards: readonly string[]): SweepCursor | null {
  if (cursor === undefined || cursor === "") return { shard: shards[0]!, after: "" };
  const match = /^([A-Za-z0-9_]+):([0-9a-f-]{0,36})$/.exec(cursor);
  if (!match || !shards.includes(match[1]!)) return null;
  return { shard: match[1]!, after: match[2]! };
}

/** Keys the fingerprints of up to `limit` orders from `cursor` on. */
export async function sweepPage(env: Env, cursor: SweepCursor, limit: number): Promise<SweepPage> {
  const shards = shardNames(env);
  const { results } = await database(env, cursor.shard)
    .prepare("SELECT shipment_id FROM shipments WHERE shipment_id > ?1 ORDER BY shipment_id LIMIT ?2")
    .bind(cursor.after, limit)
    .all<{ shipment_id: string }>();
  const page: SweepPage = { shard: cursor.shard, scanned: results.length, wrapped: 0, alreadyKeyed: 0, missing: 0, failed: 0, next: null };

  let i = 0;
  const worker = async () => {
    while (i < results.length) {
      const shipmentId = results[i++]!.shipment_id;
      try {
        const found = await orderStubForShipment(env, shipmentId).keyFingerprint();
        if (found === "wrapped") page.wrapped++;
        else if (found === "already keyed") page.alreadyKeyed++;
        else page.missing++;
      } catch (error) {
        logError("fingerprint_sweep.order_failed", error, { shipmentId });
        page.failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, results.length) }, worker));

  const following = shards[shards.indexOf(cursor.shard) + 1];
  if (results.length === limit) page.next = `${cursor.shard}:${results.at(-1)!.shipment_id}`;
  else if (following !== undefined) page.next = `${following}:`;
  return page;
}
