-- One-time codes (issue 28): each message of a verification is a normal shipment that names its
-- verification, and the statistics count verifications (src/store/stats-rollups.ts).

-- The verification a shipment is a message of (its manifest's `verificationId`); NULL: a plain order.
-- The previous version (during a rolling deploy) inserts without it: NULL, as before.
ALTER TABLE shipments ADD COLUMN verification_id TEXT;
-- The recipient's status description when the order says more than its status does (a message its
-- verification's end kept from being sent), so the feed says what the manifest says; NULL: the status's own.
ALTER TABLE recipients ADD COLUMN status_description TEXT;

-- What has been counted for each verification: one row per (verification, event), so each event counts
-- once however often, and in whatever order, its change reaches the shard writer. `day` and `channel`
-- are those it started with (every count of a verification goes to its start day). Kept as long as the
-- shipments are (RETENTION_DAYS): a repeat can only come from the write-behind, long before that.
CREATE TABLE stat_verifications (
  verification_id TEXT NOT NULL,
  event           TEXT NOT NULL CHECK (event IN ('started', 'approved', 'expired', 'max_attempts')),
  org             TEXT NOT NULL,
  day             TEXT NOT NULL,           -- YYYY-MM-DD, UTC: the day it started
  channel         TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
  PRIMARY KEY (verification_id, event)
) WITHOUT ROWID;
-- The writer's daily prune deletes by day.
CREATE INDEX stat_verifications_by_day ON stat_verifications (day);
