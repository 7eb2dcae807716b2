// Issue 27, item 4: feed sequence numbers per organisation (migrations/0003_feed_per_organisation.sql,
// src/store/changes.ts). Numbers are never reused after retention, cost one counter row per
// organisation per batch, and the change to them keeps stored cursors and the previous version's
// writes during a rolling deploy in order.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ShipmentChange, ShipmentState } from "../../src/store/changes";
import { shardWriter } from "../../src/store/shards";
import { call } from "../support/api";

afterEach(() => vi.restoreAllMocks());

const db = env.DB; // every organisation here is on the first shard (vitest.config.ts)
const writer = shardWriter(env, "DB");

/** A shipment's state as an order hands it to the shard writer: delivered (and in the feed) or still on its way. */
function state(org: string, completed = true): ShipmentState {
  const id = crypto.randomUUID();
  return {
    kind: "state",
    shipmentId: id,
    org,
    orderId: `order-${id}`,
    idempotencyId: `key-${id}`,
    orderRef: "0".repeat(64),
    sendersReference: null,
    channel: "sms",
    destination: "+4790000123",
    createdAt: "2026-01-01T00:00:00.000Z",
    deadline: "2026-01-01T00:02:00.000Z",
    version: completed ? 4 : 1,
    orderStatus: completed ? "Order_Completed" : "Order_Registered",
    recipientStatus: completed ? "SMS_Delivered" : "SMS_New",
    lastUpdate: completed ? "2026-01-01T00:00:04.000Z" : "2026-01-01T00:00:00.000Z",
    providerRef: completed ? `ref-${id}` : null,
    events: [],
    completed,
  };
}

/** Writes the changes to D1 in one batch (one append, then a flush), as the shard writer does. */
async function write(...changes: ShipmentChange[]) {
  await writer.append("DB", changes);
  expect(await writer.flush()).toBe(0);
}

async function seqOf(shipmentId: string): Promise<number | null> {
  return (await db.prepare("SELECT seq FROM feed WHERE shipment_id = ?").bind(shipmentId).first<{ seq: number }>())?.seq ?? null;
}

/** A consumer that stored `cursor` pages on (small pages, so every page boundary is crossed) and answers what it saw. */
async function pageFrom(org: string, cursor: number): Promise<{ sequenceNumber: number; shipmentId: string }[]> {
  const seen: { sequenceNumber: number; shipmentId: string }[] = [];
  for (let page = 0; page < 20; page++) {
    const response = await call("GET", `/future/shipment/feed?seq=${cursor}&pageSize=2`, undefined, { org });
    expect(response.status).toBe(200);
    const entries = (await response.json()) as { sequenceNumber: number; shipmentId: string }[];
    if (entries.length === 0) return seen;
    seen.push(...entries.map(({ sequenceNumber, shipmentId }) => ({ sequenceNumber, shipmentId })));
    cursor = entries[entries.length - 1]!.sequenceNumber;
  }
  throw new Error("the feed did not end within 20 pages");
}

describe("feed numbers per organisation", () => {
  it("never hands a number out again once retention deleted its entry, even in the batch that numbered it", async () => {
    const org = "feed-numbers-retention";
    const [a, b] = [state(org), state(org)];
    await write(a, b);
    const newest = (await seqOf(b.shipmentId))!;
    expect(newest).toBe((await seqOf(a.shipmentId))! + 1);
    await write({ kind: "delete", shipmentId: b.shipmentId, org }); // the organisation's newest entry goes
    const c = state(org);
    await write(c);
    expect(await seqOf(c.shipmentId)).toBe(newest + 1); // not MAX + 1 = newest again
    // Numbered, deleted and followed by another entry in one batch, before the batch raises the counter.
    const [d, e] = [state(org), state(org)];
    await write(d, { kind: "delete", shipmentId: d.shipmentId, org }, e);
    expect(await seqOf(d.shipmentId)).toBeNull();
    expect(await seqOf(e.shipmentId)).toBe(newest + 3);
  });

  it("writes each organisation's counter once per batch, not once per entry", async () => {
    const batch = vi.spyOn(Object.getPrototypeOf(db) as D1Database, "batch");
    const changes = [state("feed-cost-a"), state("feed-cost-b"), state("feed-cost-a"), state("feed-cost-a"), state("feed-cost-b")];
    await write(...changes);
    const call = batch.mock.calls.findIndex(([s]) => s.length > changes.length); // the writer's batch
    const statements = batch.mock.calls[call]![0];
    const results = (await batch.mock.results[call]!.value) as D1Result[];
    const sqlOf = (s: D1PreparedStatement) => (s as unknown as { statement: string }).statement;
    const counterWrites = statements.flatMap((s, i) => (/^\s*INSERT INTO feed_counters/.test(sqlOf(s)) ? [results[i]!.meta.rows_written] : []));
    expect(counterWrites).toEqual([1, 1]); // two organisations, five entries
    expect((await pageFrom("feed-cost-a", 0)).map((e) => e.sequenceNumber)).toEqual([1, 2, 3]);
    expect((await pageFrom("feed-cost-b", 0)).map((e) => e.sequenceNumber)).toEqual([1, 2]);
  });
});

// How the previous version wrote a feed entry: no number, the table's AUTOINCREMENT gave one (shard-wide).
const PREVIOUS_VERSION_FEED_INSERT = "INSERT OR IGNORE INTO feed (org, shipment_id, at) VALUES (?1, ?2, ?3)";
const migrations = env.TEST_MIGRATIONS as unknown as { name: string; queries: string[] }[];
const PER_ORG = "0003_feed_per_organisation.sql";

/**
 * Brings the shard back to the feed before per-organisation numbers: everything dropped, the earlier
 * migrations applied, and the later ones that leave the feed alone (this writer's code needs their columns).
 */
async function schemaBeforePerOrgNumbers() {
  const { results } = await db
    .prepare("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY rowid DESC")
    .all<{ type: string; name: string }>();
  await db.batch(results.map(({ type, name }) => db.prepare(`DROP ${type === "table" ? "TABLE" : "TRIGGER"} "${name}"`)));
  const earlier = migrations.filter((m) => m.name < PER_ORG);
  expect(earlier.map((m) => m.name)).toEqual(["0001_init.sql", "0002_statistics.sql"]);
  const later = migrations.filter((m) => m.name > PER_ORG);
  expect(later.map((m) => m.name)).toEqual(["0004_verifications.sql"]); // a new one: check it leaves the feed alone, then add it here
  await db.batch([...earlier, ...later].flatMap((m) => m.queries.map((q) => db.prepare(q))));
}

/** The previous version's writer completes a shipment: its rows as the shard writer writes them (unchanged), its feed entry the old way. */
async function previousVersionCompletes(org: string): Promise<string> {
  const s = state(org, false);
  await write(s);
  await db.prepare(PREVIOUS_VERSION_FEED_INSERT).bind(org, s.shipmentId, "2026-01-01T00:00:04.000Z").run();
  return s.shipmentId;
}

async function newVersionCompletes(org: string): Promise<string> {
  const s = state(org);
  await write(s);
  return s.shipmentId;
}

describe("the change to per-organisation numbers (migration 0003)", () => {
  it("keeps a stored cursor working and numbers the previous version's entries during a rolling deploy, in commit order", async () => {
    await schemaBeforePerOrgNumbers();
    const [mine, theirs] = ["feed-migration-mine", "feed-migration-theirs"];
    // Before the change: one shard-wide counter.
    const before = [];
    for (const org of [mine, theirs, mine, theirs, theirs, mine, theirs]) before.push({ org, id: await previousVersionCompletes(org) });
    const seen = await pageFrom(mine, 0);
    expect(seen.map((e) => e.sequenceNumber)).toEqual([1, 3, 6]);
    const myCursor = 6;
    // Their consumer has seen their newest entry (7, the shard's highest number), then retention deleted it.
    expect((await pageFrom(theirs, 0)).map((e) => e.sequenceNumber)).toEqual([2, 4, 5, 7]);
    const theirCursor = 7;
    await write({ kind: "delete", shipmentId: before[6]!.id, org: theirs });

    // The migration, while the previous version still writes.
    const perOrg = migrations.find((m) => m.name === PER_ORG)!;
    await db.batch(perOrg.queries.map((q) => db.prepare(q)));
    const after = [
      await previousVersionCompletes(mine),
      await newVersionCompletes(mine),
      await newVersionCompletes(theirs),
      await previousVersionCompletes(mine),
      await previousVersionCompletes(theirs),
      await newVersionCompletes(mine),
    ];

    // Entries numbered before keep their numbers.
    for (const [i, { id }] of before.slice(0, 6).entries()) expect(await seqOf(id)).toBe(i + 1);
    // Each organisation's numbers go on above the shard's highest (7, though its entry is gone), each on its own.
    const myNew = await pageFrom(mine, myCursor);
    expect(myNew).toEqual([after[0], after[1], after[3], after[5]].map((shipmentId, i) => ({ sequenceNumber: 8 + i, shipmentId })));
    const theirNew = await pageFrom(theirs, theirCursor);
    expect(theirNew).toEqual([after[2], after[4]].map((shipmentId, i) => ({ sequenceNumber: 8 + i, shipmentId })));
    // The whole feed, read from the start, is every entry once, in order.
    expect((await pageFrom(mine, 0)).map((e) => e.sequenceNumber)).toEqual([1, 3, 6, 8, 9, 10, 11]);
    // The previous version's entries raised the counter like the new version's.
    const counters = await db.prepare("SELECT org, last_seq FROM feed_counters ORDER BY org").all();
    expect(counters.results).toEqual([{ org: mine, last_seq: 11 }, { org: theirs, last_seq: 9 }]);
  });
});
