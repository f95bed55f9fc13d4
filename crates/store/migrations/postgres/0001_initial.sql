-- scimbridge store schema, Postgres flavour (migrations/sqlite holds the same shape).
-- Text columns that filters order or sort by use COLLATE "C": code-point order, as Rust.
-- Every *_us column is a UTC instant in microseconds since the Unix epoch: one integer
-- encoding for both databases, ordered and compared exactly in SQL.

-- An app: one vendor tenant, or a plain SCIM `directory`.
CREATE TABLE apps (
    name       TEXT PRIMARY KEY,        -- [a-z0-9][a-z0-9-]{0,62}
    kind       TEXT NOT NULL,           -- directory | gong | zoominfo | chorus
    config     JSONB NOT NULL,           -- JSON object: the app's connector settings
    created_us BIGINT NOT NULL
);

-- Bearer tokens. Only the SHA-256 of a secret is kept; the secret is shown once.
CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,      -- UUID v4
    app          TEXT NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
    label        TEXT,
    secret_hash  BYTEA NOT NULL UNIQUE,  -- SHA-256 of the secret
    created_us   BIGINT NOT NULL,
    expires_us   BIGINT,               -- NULL: never expires
    revoked_us   BIGINT,               -- set by revocation: invalid from then on
    retires_us   BIGINT,               -- set by rotation: valid until then (the grace period)
    last_used_us BIGINT                -- refreshed at most once a minute by authentication
);
CREATE INDEX tokens_app ON tokens (app);

-- SCIM resources: the desired state an IdP wrote. `data` is the validated resource
-- (without a Group's members, which live in `memberships`); `search` is the same JSON with
-- every string whose attribute is not caseExact lower-cased in Rust, so that filters compare
-- without SQL lower(). The other columns are indexed copies of single attributes.
CREATE TABLE resources (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- insertion order: default sort, paging
    app             TEXT NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('User', 'Group')),
    id              TEXT COLLATE "C" NOT NULL UNIQUE,              -- UUID v4
    version         BIGINT NOT NULL,                  -- 1, then +1 per write; ETag W/"version"
    created_us      BIGINT NOT NULL,
    modified_us     BIGINT NOT NULL,
    external_id     TEXT COLLATE "C",
    user_name       TEXT,                              -- Users
    user_name_lc    TEXT COLLATE "C",
    display_name    TEXT,
    display_name_lc TEXT COLLATE "C",
    given_name_lc   TEXT COLLATE "C",                              -- name.givenName, lower-cased
    family_name_lc  TEXT COLLATE "C",                              -- name.familyName, lower-cased
    active          BOOLEAN,
    sync_state      TEXT COLLATE "C",                              -- pending | synced | failed
    vendor_id       TEXT COLLATE "C",
    last_synced_us  BIGINT,
    last_error      TEXT,
    last_error_lc   TEXT COLLATE "C",
    data            JSONB NOT NULL,                     -- JSON
    search          JSONB NOT NULL                      -- JSON, case-folded copy of data
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
    resource_seq BIGINT NOT NULL REFERENCES resources (seq) ON DELETE CASCADE,
    value_lc     TEXT COLLATE "C" NOT NULL
);
CREATE INDEX resource_emails_value ON resource_emails (value_lc);
CREATE INDEX resource_emails_resource ON resource_emails (resource_seq);

-- Group members. A User's `groups` is derived from here. Members are not foreign keys:
-- an IdP may name a member before creating it; deleting a member removes its rows.
CREATE TABLE memberships (
    app        TEXT NOT NULL,
    group_id   TEXT NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    member_id  TEXT COLLATE "C" NOT NULL,
    position   BIGINT NOT NULL,       -- order within the group's members
    display    TEXT,
    display_lc TEXT COLLATE "C",
    type       TEXT,                   -- User | Group, as the IdP sent it
    type_lc    TEXT COLLATE "C",
    PRIMARY KEY (app, group_id, member_id)
);
CREATE INDEX memberships_member ON memberships (app, member_id);

-- Every SCIM write, with the resource before and after. Kept when its app is deleted.
CREATE TABLE audit_log (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app            TEXT NOT NULL,
    resource_kind  TEXT NOT NULL,       -- User | Group
    resource_id    TEXT NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('create', 'replace', 'delete')),
    actor_token_id TEXT,                -- the bearer token's id, NULL for the admin
    actor_label    TEXT NOT NULL,
    before         JSONB,                -- JSON, NULL on create
    after          JSONB,                -- JSON, NULL on delete
    at_us          BIGINT NOT NULL
);
CREATE INDEX audit_log_app ON audit_log (app, seq);
CREATE INDEX audit_log_resource ON audit_log (app, resource_id, seq);

-- Resources waiting for reconciliation with the vendor: one row per resource, so quick
-- successive writes coalesce into one reconcile. Not written for `directory` apps.
CREATE TABLE work_queue (
    app           TEXT NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
    resource_kind TEXT NOT NULL,        -- User | Group
    resource_id   TEXT NOT NULL,        -- no foreign key: a deleted resource is reconciled too
    enqueued_us   BIGINT NOT NULL,     -- the latest write that queued it
    not_before_us BIGINT NOT NULL,     -- earliest time a worker may claim it (backoff)
    attempts      BIGINT NOT NULL DEFAULT 0, -- failed reconciles since the last write
    PRIMARY KEY (app, resource_id)
);
CREATE INDEX work_queue_due ON work_queue (not_before_us);

-- The vendor account a resource is reconciled to, and what was last applied to it.
CREATE TABLE vendor_links (
    app               TEXT NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
    resource_id       TEXT NOT NULL,    -- no foreign key: outlives a SCIM delete until deprovisioned
    vendor_account_id TEXT NOT NULL,    -- the account's id at the vendor
    applied           JSONB,             -- JSON: the vendor-side state last applied
    applied_version   BIGINT,          -- resources.version that state was computed from
    created_us        BIGINT NOT NULL,
    updated_us        BIGINT NOT NULL,
    PRIMARY KEY (app, resource_id)
);
CREATE UNIQUE INDEX vendor_links_account ON vendor_links (app, vendor_account_id);

-- Actions held for a human decision (granting admin, exceeding a seat budget).
CREATE TABLE approvals (
    id           TEXT PRIMARY KEY,      -- UUID v4
    app          TEXT NOT NULL REFERENCES apps (name) ON DELETE CASCADE,
    resource_id  TEXT NOT NULL,
    action       TEXT NOT NULL,         -- what the engine wants to do, e.g. grant-admin
    requested    JSONB NOT NULL,         -- JSON: the change awaiting approval
    state        TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired')),
    decided_by   TEXT,                  -- who approved or rejected it
    created_us   BIGINT NOT NULL,
    decided_us   BIGINT
);
CREATE INDEX approvals_app_state ON approvals (app, state, created_us);
