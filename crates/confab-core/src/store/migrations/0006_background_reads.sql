-- The user's choice, per account, to download new messages of conversations not opened where
-- reading a conversation marks it read on the server.
ALTER TABLE accounts ADD COLUMN background_reads INTEGER NOT NULL DEFAULT 0;

-- Earlier versions noted "reads mark read" for a portal server whenever its read was not
-- paged, which says nothing about read state; forget it, so it is learned from a read the
-- user asks for.
UPDATE accounts SET features = json_remove(features, '$.quiet_read')
 WHERE json_extract(features, '$.quiet_read') = 0;

-- Whether a conversation's unread count is counted here (1) or is the server's (0). Only
-- meaningful for a dialect whose listing counts unread, on an account whose counts are kept
-- here (see `dialect::counts_unread_here`): a conversation moves to 1 once its messages are
-- cached and the server's last count is folded into its read mark.
ALTER TABLE conversations ADD COLUMN unread_here INTEGER NOT NULL DEFAULT 0;
