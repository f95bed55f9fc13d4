-- What the reconcile engine needs beyond the initial shape: claims with a generation (so a
-- write that lands during a reconcile is never lost), dead letters, a log of every vendor
-- action, and admin tokens.

-- Bumped by every write that queues the resource; a worker deletes the entry only if it is
-- still the generation it claimed.
ALTER TABLE work_queue ADD COLUMN generation BIGINT NOT NULL DEFAULT 1;
ALTER TABLE work_queue ADD COLUMN claimed_by TEXT;  -- the worker holding the lease, if any
ALTER TABLE work_queue ADD COLUMN last_error TEXT;  -- why the last attempt failed
ALTER TABLE work_queue ADD COLUMN dead_us BIGINT;  -- set when dead-lettered: no more attempts
CREATE INDEX work_queue_app ON work_queue (app, dead_us);

-- Every action scimbridge took (or was refused) at a vendor, and what the offboarding
-- playbook found (integrations tied to a leaver): the vendor half of the audit trail.
CREATE TABLE vendor_actions (
    seq               BIGSERIAL PRIMARY KEY,
    app               TEXT NOT NULL,
    resource_id       TEXT NOT NULL,
    vendor_account_id TEXT,
    action            TEXT NOT NULL,    -- create, set-access, deactivate, reassign-report, …
    outcome           TEXT NOT NULL CHECK (outcome IN ('done', 'refused', 'failed', 'noted')),
    detail            JSONB NOT NULL,   -- JSON object
    at_us             BIGINT NOT NULL
);
CREATE INDEX vendor_actions_resource ON vendor_actions (app, resource_id, seq);

-- Tokens of the admin API: separate from every app's tokens.
CREATE TABLE admin_tokens (
    id          TEXT PRIMARY KEY,
    label       TEXT,
    secret_hash BYTEA NOT NULL UNIQUE,   -- SHA-256 of the secret
    created_us  BIGINT NOT NULL,
    revoked_us  BIGINT
);
