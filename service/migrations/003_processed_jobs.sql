-- Dedupe keys of jobs whose effect committed; inserted in the same transaction as the effect.
CREATE TABLE IF NOT EXISTS processed_jobs (
  job_id        text PRIMARY KEY,
  processed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS processed_jobs_processed_at_idx ON processed_jobs (processed_at);
