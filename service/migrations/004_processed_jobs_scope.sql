-- A job's dedupe key is scoped to its item and to the user who enqueued it: the same
-- idempotencyKey sent for two items, or by two users, names two jobs (it used to name one, and
-- the second was dropped as a duplicate). Rows written before this migration keep item_id = ''
-- and client_id = '': the worker still treats their job_id as taken for every item until they
-- are pruned (JOB_DEDUPE_RETENTION_DAYS), so a message enqueued before the upgrade and
-- redelivered after it is not applied twice.
ALTER TABLE processed_jobs ADD COLUMN IF NOT EXISTS item_id text NOT NULL DEFAULT '';
ALTER TABLE processed_jobs ADD COLUMN IF NOT EXISTS client_id text NOT NULL DEFAULT '';
ALTER TABLE processed_jobs DROP CONSTRAINT IF EXISTS processed_jobs_pkey;
ALTER TABLE processed_jobs ADD CONSTRAINT processed_jobs_pkey PRIMARY KEY (item_id, client_id, job_id);
