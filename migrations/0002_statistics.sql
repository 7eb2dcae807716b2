-- Statistics (docs/statistics.md): daily rollups per organisation, UTC day of registration and channel,
-- one counter per row. Written by the shard writer in the same transaction as the shipment rows they
-- count; read by GET /future/stats and /performance. Kept 13 months (the shipments: 90 days).
CREATE TABLE stat_days (
  org     TEXT NOT NULL,
  day     TEXT NOT NULL,                   -- YYYY-MM-DD, UTC
  channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
  metric  TEXT NOT NULL,                   -- registered, delivered, failed:<status>, handOverMs:<bucket>, ... (src/stats/rollups.ts)
  n       INTEGER NOT NULL,
  PRIMARY KEY (org, day, channel, metric)
) WITHOUT ROWID;
-- The performance page reads every organisation's last 30 days.
CREATE INDEX stat_days_by_day ON stat_days (day);

-- What has been counted for each shipment, so every fact counts once however often it arrives. A
-- shipment registered before this table existed has no row here and is never counted.
CREATE TABLE stat_shipments (
  shipment_id    TEXT PRIMARY KEY,
  org            TEXT NOT NULL,
  day            TEXT NOT NULL,
  channel        TEXT NOT NULL,
  created_ms     INTEGER NOT NULL,
  via            TEXT,                     -- the provider of the latest dispatch claim
  handed_over_ms INTEGER,                  -- 201 → accepted, once counted
  provider       TEXT,                     -- the provider that accepted it
  final_status   TEXT                      -- once counted
) WITHOUT ROWID;
