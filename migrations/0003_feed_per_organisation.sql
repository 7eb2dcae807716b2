-- Feed sequence numbers per organisation (issue 27, item 4). Until now the feed's `seq` was one
-- AUTOINCREMENT per shard, so the gaps between an organisation's own numbers counted every other
-- organisation's completed shipments on its shard. From here on each organisation has its own numbers.
--
-- * Entries already numbered keep their numbers (copied as they are).
-- * Every organisation's next number follows the highest number the shard had handed out before this
--   migration (`feed_floor`, the old AUTOINCREMENT's high-water mark), so a consumer's stored cursor, a
--   shard-wide number, keeps working: nothing written later is numbered at or below it.
-- * After that an organisation's next number is 1 + the highest of the floor, its counter
--   (`feed_counters`) and its highest live number. The counter, not MAX + 1 alone, remembers numbers
--   whose rows retention has deleted, so a number is never reused. The shard writer numbers its entries
--   itself and raises the counter once per organisation per batch (src/store/changes.ts).
-- * The previous version (still running during a rolling deploy) inserts without `seq`, as it relied on
--   the AUTOINCREMENT: `feed_number_unnumbered` numbers such a row in the same statement, by the same
--   rule and the same counter, so its entries keep commit order with the new version's. Harmless
--   once every writer runs the new version; a later migration may drop it.
-- * `feed_counter_on_delete` raises the counter to any number deleted (retention, whoever deletes),
--   so a deletion between a batch's entries and its counter update cannot free a number either. It
--   writes nothing when the counter is already at the deleted number (the usual case) or the number
--   is one from before this migration (the floor covers those).

-- The highest number the shard handed out: AUTOINCREMENT's record (it outlives deleted rows), or the
-- highest live one. Read before the old table (and with it that record) is dropped.
CREATE TABLE feed_floor (last_seq INTEGER NOT NULL);
INSERT INTO feed_floor (last_seq)
  SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'feed'), 0), COALESCE((SELECT MAX(seq) FROM feed), 0));

-- Each organisation's highest number handed out (written once an organisation has an entry after this migration).
CREATE TABLE feed_counters (
  org      TEXT PRIMARY KEY,
  last_seq INTEGER NOT NULL
) WITHOUT ROWID;

-- The feed again, with `seq` an ordinary column: unique per organisation, no longer per shard.
CREATE TABLE feed_per_org (
  seq         INTEGER,                      -- NULL only inside the previous version's insert, which the trigger numbers
  org         TEXT NOT NULL,
  shipment_id TEXT NOT NULL UNIQUE REFERENCES shipments (shipment_id) ON DELETE CASCADE,
  at          TEXT NOT NULL
);
INSERT INTO feed_per_org (seq, org, shipment_id, at) SELECT seq, org, shipment_id, at FROM feed ORDER BY seq;
DROP TABLE feed;
ALTER TABLE feed_per_org RENAME TO feed;
-- Serves the feed's reads (org, seq > cursor) and refuses a number handed out twice.
CREATE UNIQUE INDEX feed_by_org ON feed (org, seq);

CREATE TRIGGER feed_number_unnumbered AFTER INSERT ON feed WHEN NEW.seq IS NULL
BEGIN
  UPDATE feed SET seq = 1 + MAX(
      COALESCE((SELECT last_seq FROM feed_floor), 0),
      COALESCE((SELECT last_seq FROM feed_counters WHERE org = NEW.org), 0),
      COALESCE((SELECT MAX(seq) FROM feed WHERE org = NEW.org), 0))
    WHERE rowid = NEW.rowid;
  INSERT INTO feed_counters (org, last_seq) SELECT org, seq FROM feed WHERE rowid = NEW.rowid
    ON CONFLICT (org) DO UPDATE SET last_seq = excluded.last_seq WHERE excluded.last_seq > feed_counters.last_seq;
END;

CREATE TRIGGER feed_counter_on_delete AFTER DELETE ON feed WHEN OLD.seq IS NOT NULL
BEGIN
  INSERT INTO feed_counters (org, last_seq) SELECT OLD.org, OLD.seq WHERE OLD.seq > (SELECT last_seq FROM feed_floor)
    ON CONFLICT (org) DO UPDATE SET last_seq = excluded.last_seq WHERE excluded.last_seq > feed_counters.last_seq;
END;
