-- When the conversation last raised a notification, for its "at most one every N minutes"
-- limit: kept here so a restart does not let the next one through early.
ALTER TABLE conversations ADD COLUMN notified_at INTEGER;
