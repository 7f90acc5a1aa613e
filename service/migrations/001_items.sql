-- Items are the sample domain. `version` increases on every change and fences stale cache fills.
CREATE TABLE IF NOT EXISTS items (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  data        jsonb NOT NULL DEFAULT '{}'::jsonb,
  counter     bigint NOT NULL DEFAULT 0,
  version     bigint NOT NULL DEFAULT 1,
  updated_by  text,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
