-- An app's connector settings (vendor credentials), encrypted: `sb1:<key id>:<base64>`.
-- NULL when the app has none, or for rows written before encryption (their settings are
-- still in `config` until `scimbridge secrets re-encrypt` or the next write moves them).
ALTER TABLE apps ADD COLUMN connector_sealed TEXT;
