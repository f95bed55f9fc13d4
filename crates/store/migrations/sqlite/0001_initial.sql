-- scimbridge store schema, SQLite flavour (migrations/postgres holds the same shape).
-- Every *_us column is a UTC instant in microseconds since the Unix epoch: one integer
-- encoding for both databases, ordered and compared exactly in SQL.

-- An app: one vendor tenant, or a plain SCIM `directory`.
CREATE TABLE apps (
    name       TEXT PRIMARY KEY,        -- [a-z0-9][a-z0-9-]{0,62}
    kind       TEXT NOT NULL,           -- directory | gong | zoominfo | chorus
    config     TEXT NOT NULL,           -- JSON object: the app's connector settings
    created_us INTEGER NOT NULL
);

-- Bearer tokens. Only the SHA-256 of a secret is kept; the secret is shown once.
CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,      -- UUID v4
    app          TEXT NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
    label        TEXT,
    secret_hash  BLOB NOT NULL UNIQUE,  -- SHA-256 of the secret
    created_us   INTEGER NOT NULL,
    expires_us   INTEGER,               -- NULL: never expires
    revoked_us   INTEGER,               -- set by revocation: invalid from then on
    retires_us   INTEGER,               -- set by rotation: valid until then (the grace period)
    last_used_us INTEGER                -- refreshed at most once a minute by authentication
);
CREATE INDEX tokens_app ON tokens (app);

-- SCIM resources: the desired state an IdP wrote. `data` is the validated resource
-- (without a Group's members, which live in `memberships`); `search` is the same JSON with
-- every string whose attribute is not caseExact lower-cased in Rust, so that filters compare
-- without SQL lower(). The other columns are indexed copies of single attributes.
CREATE TABLE resources (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT, -- insertion order: default sort, paging
    app             TEXT NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('User', 'Group')),
    id              TEXT NOT NULL UNIQUE,              -- UUID v4
    version         INTEGER NOT NULL,                  -- 1, then +1 per write; ETag W/"version"
    created_us      INTEGER NOT NULL,
    modified_us     INTEGER NOT NULL,
    external_id     TEXT,
    user_name       TEXT,                              -- Users
    user_name_lc    TEXT,
    display_name    TEXT,
    display_name_lc TEXT,
    given_name_lc   TEXT,                              -- name.givenName, lower-cased
    family_name_lc  TEXT,                              -- name.familyName, lower-cased
    active          BOOLEAN,
    sync_state      TEXT,                              -- pending | synced | failed
    vendor_id       TEXT,
    last_synced_us  INTEGER,
    last_error      TEXT,
    last_error_lc   TEXT,
    data            TEXT NOT NULL,                     -- JSON
    search          TEXT NOT NULL                      -- JSON, case-folded copy of data
);
CREATE INDEX resources_list ON resources (app, kind, seq);
CREATE UNIQUE INDEX resources_user_name ON resources (app, user_name_lc) WHERE kind = 'User';
CREATE UNIQUE INDEX resources_group_name ON resources (app, display_name_lc) WHERE kind = 'Group';
CREATE INDEX resources_external_id ON resources (app, kind, external_id);
CREATE INDEX resources_display_name ON resources (app, kind, display_name_lc);
CREATE INDEX resources_given_name ON resources (app, kind, given_name_lc);
CREATE INDEX resources_family_name ON resources (app, kind, family_name_lc);
CREATE INDEX resources_active ON resources (app, kind, active);
CREATE INDEX resources_created ON resources (app, kind, created_us);
CREATE INDEX resources_modified ON resources (app, kind, modified_us);
CREATE INDEX resources_sync_state ON resources (app, kind, sync_state);
CREATE INDEX resources_vendor_id ON resources (app, kind, vendor_id);

-- emails[].value of Users, lower-cased, for indexed `emails.value` filters.
CREATE TABLE resource_emails (
    resource_seq INTEGER NOT NULL REFERENCES resources (seq) ON DELETE CASCADE,
    value_lc     TEXT NOT NULL
);
CREATE INDEX resource_emails_value ON resource_emails (value_lc);
CREATE INDEX resource_emails_resource ON resource_emails (resource_seq);

-- Group members. A User's `groups` is derived from here. Members are not foreign keys:
-- an IdP may name a member before creating it; deleting a member removes its rows.
CREATE TABLE memberships (
    app        TEXT NOT NULL,
    group_id   TEXT NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    member_id  TEXT NOT NULL,
    position   INTEGER NOT NULL,       -- order within the group's members
    display    TEXT,
    display_lc TEXT,
    type       TEXT,                   -- User | Group, as the IdP sent it
    type_lc    TEXT,
    PRIMARY KEY (app, group_id, member_id)
);
CREATE INDEX memberships_member ON memberships (app, member_id);

-- Every SCIM write, with the resource before and after. Kept when its app is deleted.
CREATE TABLE audit_log (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    app            TEXT NOT NULL,
    resource_kind  TEXT NOT NULL,       -- User | Group
    resource_id    TEXT NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('create', 'replace', 'delete')),
    actor_token_id TEXT,                -- the bearer token's id, NULL for the admin
    actor_label    TEXT NOT NULL,
    before         TEXT,                -- JSON, NULL on create
    after          TEXT,                -- JSON, NULL on delete
    at_us          INTEGER NOT NULL
);
CREATE INDEX audit_log_app ON audit_log (app, seq);
CREATE INDEX audit_log_resource ON audit_log (app, resource_id, seq);

-- Resources waiting for reconciliation with the vendor: one row per resource, so quick
-- successive writes coalesce into one reconcile. Not written for `directory` apps.
CREATE TABLE work_queue (
    app           TEXT NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
    resource_kind TEXT NOT NULL,        -- User | Group
    resource_id   TEXT NOT NULL,        -- no foreign key: a deleted resource is reconciled too
    enqueued_us   INTEGER NOT NULL,     -- the latest write that queued it
    not_before_us INTEGER NOT NULL,     -- earliest time a worker may claim it (backoff)
    attempts      INTEGER NOT NULL DEFAULT 0, -- failed reconciles since the last write
    PRIMARY KEY (app, resource_id)
);
CREATE INDEX work_queue_due ON work_queue (not_before_us);

-- The vendor account a resource is reconciled to, and what was last applied to it.
CREATE TABLE vendor_links (
    app               TEXT NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
    resource_id       TEXT NOT NULL,    -- no foreign key: outlives a SCIM delete until deprovisioned
    vendor_account_id TEXT NOT NULL,    -- the account's id at the vendor
    applied           TEXT,             -- JSON: the vendor-side state last applied
    applied_version   INTEGER,          -- resources.version that state was computed from
    created_us        INTEGER NOT NULL,
    updated_us        INTEGER NOT NULL,
    PRIMARY KEY (app, resource_id)
);
CREATE UNIQUE INDEX vendor_links_account ON vendor_links (app, vendor_account_id);

-- Actions held for a human decision (granting admin, exceeding a seat budget).
CREATE TABLE approvals (
    id           TEXT PRIMARY KEY,      -- UUID v4
    app          TEXT NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
    resource_id  TEXT NOT NULL,
    action       TEXT NOT NULL,         -- what the engine wants to do, e.g. grant-admin
    requested    TEXT NOT NULL,         -- JSON: the change awaiting approval
    state        TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired')),
    decided_by   TEXT,                  -- who approved or rejected it
    created_us   INTEGER NOT NULL,
    decided_us   INTEGER
);
CREATE INDEX approvals_app_state ON approvals (app, state, created_us);
