-- What each account's server was found to offer or lack, as JSON: {"feature": true|false}.
-- A feature not named is not found out yet.
ALTER TABLE accounts ADD COLUMN features TEXT NOT NULL DEFAULT '{}';
