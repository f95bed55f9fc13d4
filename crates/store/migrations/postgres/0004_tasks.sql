-- Human tasks: what no vendor API can do, handed to an admin with exact instructions and
-- closed only when a read of the vendor confirms it (or, where the vendor has no read for
-- it, when an admin confirms it).

CREATE TABLE tasks (
    id               TEXT PRIMARY KEY,    -- UUID v4
    app              TEXT NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
    change_key       TEXT NOT NULL,       -- identical changes of one app share a key
    kind             TEXT NOT NULL,       -- what sort of change, e.g. gong-assignment
    title            TEXT NOT NULL,
    change           TEXT NOT NULL,       -- JSON: the exact change wanted
    instructions     TEXT NOT NULL,       -- JSON array of steps, in the vendor's words
    verification     TEXT NOT NULL CHECK (verification IN ('read', 'confirmation')),
    state            TEXT NOT NULL CHECK (state IN ('open', 'done', 'verified', 'cancelled')),
    created_us       BIGINT NOT NULL,
    updated_us       BIGINT NOT NULL,
    done_by          TEXT,                -- who said it was done
    done_us          BIGINT,
    closed_by        TEXT,                -- who or what verified or cancelled it
    closed_us        BIGINT,
    next_check_us    BIGINT,              -- when a verification read is next due
    failed_checks    BIGINT NOT NULL DEFAULT 0,
    last_check_error TEXT,
    announced_us     BIGINT,         -- when the webhook was told it was opened
    overdue_announced_us BIGINT,     -- when the webhook was told it is overdue
    announce_attempts BIGINT NOT NULL DEFAULT 0, -- failed posts of the due announcement
    announce_next_us BIGINT NOT NULL DEFAULT 0  -- no post before: a lease, or a retry's backoff
);
-- Two instances opening the same change at once open one task: the second insert loses.
CREATE UNIQUE INDEX tasks_one_per_change ON tasks (app, change_key)
    WHERE state IN ('open', 'done');
CREATE INDEX tasks_listing ON tasks (app, state, created_us);
CREATE INDEX tasks_created ON tasks (created_us);
CREATE INDEX tasks_due ON tasks (next_check_us) WHERE state IN ('open', 'done');
CREATE INDEX tasks_announce ON tasks (announce_next_us) WHERE state IN ('open', 'done');

-- The resources a task holds at awaiting-admin.
CREATE TABLE task_resources (
    task_id       TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    app           TEXT NOT NULL,
    resource_kind TEXT NOT NULL,          -- User | Group
    resource_id   TEXT NOT NULL,
    attached_us   BIGINT NOT NULL,
    PRIMARY KEY (task_id, resource_id)
);
CREATE INDEX task_resources_resource ON task_resources (app, resource_id);

-- Every change of a task's state, and of the resources it holds: its audit trail.
CREATE TABLE task_events (
    seq     BIGSERIAL PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    event   TEXT NOT NULL,                -- opened, attached, detached, done, reopened, verified, cancelled,
                                          -- announced, announced-overdue
    actor   TEXT NOT NULL,
    detail  TEXT NOT NULL,                -- JSON object
    at_us   BIGINT NOT NULL
);
CREATE INDEX task_events_task ON task_events (task_id, seq);
