ALTER TABLE `users` ADD `items_out` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Hand-added from here on (drizzle-kit generated the column above): the same circulation rules
-- as migration 0006's triggers, with bodies that read fewer rows (D1 bills rows read, rows visited
-- inside triggers included), and tables that cost less to write to.
--  * A trigger that moves a book's counts raises its `version` in the same UPDATE, so
--    books_version_bump (which would raise it by the same 1 in a second UPDATE) does not fire.
--  * A copy coming back fills a hold reading the circulation context once (a row-value SET), not
--    three times. (copies_fill_hold_insert stays as it was: recreating it would make it run
--    before migration 0010's copy.created event trigger, and so change the events' order.)
--  * `notices` loses AUTOINCREMENT (rebuilt at the end): SQLite walks sqlite_sequence up to a
--    table's row in every statement that could insert into it, triggers included, and every write
--    that moves a copy or a hold could write a hold_ready notice. Notices are deleted only with
--    their user, so a reused id was never seen by anyone else. `account_entries` likewise: its
--    rows are never deleted (a trigger refuses it), so its ids only grow without AUTOINCREMENT too,
--    and every check-in, return and remove-book (they charge late fines) stops paying the walk.
--  * Recreated triggers run before the older ones of the same event (SQLite runs the newest
--    first); none of them records an event, so the order of the events written is unchanged.
--  * `users.items_out` counts the copies a user has out, so the loan limit (max_active_copies)
--    reads one row instead of walking every open loan of the patron (empty ones included).
DROP TRIGGER `copies_count_insert`;
--> statement-breakpoint
CREATE TRIGGER `copies_count_insert` AFTER INSERT ON `copies` BEGIN
  UPDATE `books` SET `copies` = `copies` + (NEW.`status` <> 'withdrawn'), `available_copies` = `available_copies` + (NEW.`status` = 'available'),
    `version` = `version` + 1
  WHERE ((NEW.`status` <> 'withdrawn') <> 0 OR (NEW.`status` = 'available') <> 0) AND `id` = NEW.`book_id`;
  UPDATE `counters` SET `value` = `value` + (NEW.`status` <> 'withdrawn') WHERE (NEW.`status` <> 'withdrawn') <> 0 AND `name` = 'copies';
  UPDATE `counters` SET `value` = `value` + (NEW.`status` = 'available') WHERE (NEW.`status` = 'available') <> 0 AND `name` = 'available_copies';
END;
--> statement-breakpoint
DROP TRIGGER `copies_count_update`;
--> statement-breakpoint
CREATE TRIGGER `copies_count_update` AFTER UPDATE OF `status` ON `copies` WHEN OLD.`status` IS NOT NEW.`status` BEGIN
  UPDATE `books` SET `copies` = `copies` + ((NEW.`status` <> 'withdrawn') - (OLD.`status` <> 'withdrawn')), `available_copies` = `available_copies` + ((NEW.`status` = 'available') - (OLD.`status` = 'available')),
    `version` = `version` + 1
  WHERE (((NEW.`status` <> 'withdrawn') - (OLD.`status` <> 'withdrawn')) <> 0 OR ((NEW.`status` = 'available') - (OLD.`status` = 'available')) <> 0) AND `id` = NEW.`book_id`;
  UPDATE `counters` SET `value` = `value` + ((NEW.`status` <> 'withdrawn') - (OLD.`status` <> 'withdrawn')) WHERE ((NEW.`status` <> 'withdrawn') - (OLD.`status` <> 'withdrawn')) <> 0 AND `name` = 'copies';
  UPDATE `counters` SET `value` = `value` + ((NEW.`status` = 'available') - (OLD.`status` = 'available')) WHERE ((NEW.`status` = 'available') - (OLD.`status` = 'available')) <> 0 AND `name` = 'available_copies';
END;
--> statement-breakpoint
DROP TRIGGER `copies_count_delete`;
--> statement-breakpoint
CREATE TRIGGER `copies_count_delete` AFTER DELETE ON `copies` BEGIN
  UPDATE `books` SET `copies` = `copies` + (-(OLD.`status` <> 'withdrawn')), `available_copies` = `available_copies` + (-(OLD.`status` = 'available')),
    `version` = `version` + 1
  WHERE ((-(OLD.`status` <> 'withdrawn')) <> 0 OR (-(OLD.`status` = 'available')) <> 0) AND `id` = OLD.`book_id`;
  UPDATE `counters` SET `value` = `value` + (-(OLD.`status` <> 'withdrawn')) WHERE (-(OLD.`status` <> 'withdrawn')) <> 0 AND `name` = 'copies';
  UPDATE `counters` SET `value` = `value` + (-(OLD.`status` = 'available')) WHERE (-(OLD.`status` = 'available')) <> 0 AND `name` = 'available_copies';
END;
--> statement-breakpoint
DROP TRIGGER `copies_fill_hold_update`;
--> statement-breakpoint
CREATE TRIGGER `copies_fill_hold_update` AFTER UPDATE OF `status` ON `copies`
WHEN NEW.`status` = 'available' AND OLD.`status` <> 'available' BEGIN
  UPDATE `holds` SET `status` = 'ready', `copy_id` = NEW.`id`,
    (`ready_on`, `pickup_by`) = (SELECT `today`, date(`today`, '+' || `hold_pickup_days` || ' days') FROM `circulation_context` WHERE `id` = 1)
  WHERE `id` = (SELECT `id` FROM `holds` WHERE `book_id` = NEW.`book_id` AND `status` = 'waiting' ORDER BY `id` LIMIT 1);
END;
--> statement-breakpoint
DROP TRIGGER `holds_count_insert`;
--> statement-breakpoint
CREATE TRIGGER `holds_count_insert` AFTER INSERT ON `holds` BEGIN
  UPDATE `books` SET `holds_waiting` = `holds_waiting` + (NEW.`status` = 'waiting'), `version` = `version` + 1
  WHERE (NEW.`status` = 'waiting') <> 0 AND `id` = NEW.`book_id`;
  UPDATE `counters` SET `value` = `value` + (NEW.`status` = 'waiting') WHERE (NEW.`status` = 'waiting') <> 0 AND `name` = 'holds_waiting';
  UPDATE `counters` SET `value` = `value` + (NEW.`status` = 'ready') WHERE (NEW.`status` = 'ready') <> 0 AND `name` = 'holds_ready';
END;
--> statement-breakpoint
DROP TRIGGER `holds_count_update`;
--> statement-breakpoint
CREATE TRIGGER `holds_count_update` AFTER UPDATE OF `status` ON `holds` WHEN OLD.`status` IS NOT NEW.`status` BEGIN
  UPDATE `books` SET `holds_waiting` = `holds_waiting` + ((NEW.`status` = 'waiting') - (OLD.`status` = 'waiting')), `version` = `version` + 1
  WHERE ((NEW.`status` = 'waiting') - (OLD.`status` = 'waiting')) <> 0 AND `id` = NEW.`book_id`;
  UPDATE `counters` SET `value` = `value` + ((NEW.`status` = 'waiting') - (OLD.`status` = 'waiting')) WHERE ((NEW.`status` = 'waiting') - (OLD.`status` = 'waiting')) <> 0 AND `name` = 'holds_waiting';
  UPDATE `counters` SET `value` = `value` + ((NEW.`status` = 'ready') - (OLD.`status` = 'ready')) WHERE ((NEW.`status` = 'ready') - (OLD.`status` = 'ready')) <> 0 AND `name` = 'holds_ready';
END;
--> statement-breakpoint
DROP TRIGGER `holds_count_delete`;
--> statement-breakpoint
CREATE TRIGGER `holds_count_delete` AFTER DELETE ON `holds` BEGIN
  UPDATE `books` SET `holds_waiting` = `holds_waiting` + (-(OLD.`status` = 'waiting')), `version` = `version` + 1
  WHERE (-(OLD.`status` = 'waiting')) <> 0 AND `id` = OLD.`book_id`;
  UPDATE `counters` SET `value` = `value` + (-(OLD.`status` = 'waiting')) WHERE (-(OLD.`status` = 'waiting')) <> 0 AND `name` = 'holds_waiting';
  UPDATE `counters` SET `value` = `value` + (-(OLD.`status` = 'ready')) WHERE (-(OLD.`status` = 'ready')) <> 0 AND `name` = 'holds_ready';
END;

--> statement-breakpoint
-- The copies each user has out now: active loan rows of their loans (only users with an open loan can have any).
UPDATE `users` SET `items_out` = (
  SELECT count(*) FROM `loan_books` lb JOIN `loans` l ON l.`id` = lb.`loan_id` WHERE l.`user_id` = `users`.`id` AND lb.`active` = 1)
WHERE `id` IN (SELECT `user_id` FROM `loans` WHERE `return_date` IS NULL);
--> statement-breakpoint
CREATE TRIGGER `users_items_out_lend` AFTER INSERT ON `loan_books` WHEN NEW.`active` BEGIN
  UPDATE `users` SET `items_out` = `items_out` + 1 WHERE `id` = (SELECT `user_id` FROM `loans` WHERE `id` = NEW.`loan_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `users_items_out_active` AFTER UPDATE OF `active` ON `loan_books` WHEN (OLD.`active` <> 0) IS NOT (NEW.`active` <> 0) BEGIN
  UPDATE `users` SET `items_out` = `items_out` + CASE WHEN NEW.`active` THEN 1 ELSE -1 END
  WHERE `id` = (SELECT `user_id` FROM `loans` WHERE `id` = NEW.`loan_id`);
END;
--> statement-breakpoint
-- A row deleted with its loan (the cascade runs after the loan row is gone) finds no loan here:
-- the loan's own trigger below has already taken its copies off the count.
CREATE TRIGGER `users_items_out_release` AFTER DELETE ON `loan_books` WHEN OLD.`active` BEGIN
  UPDATE `users` SET `items_out` = `items_out` - 1 WHERE `id` = (SELECT `user_id` FROM `loans` WHERE `id` = OLD.`loan_id`);
END;
--> statement-breakpoint
CREATE TRIGGER `users_items_out_loan_delete` BEFORE DELETE ON `loans` WHEN OLD.`user_id` IS NOT NULL BEGIN
  UPDATE `users` SET `items_out` = `items_out` - (SELECT count(*) FROM `loan_books` WHERE `loan_id` = OLD.`id` AND `active`)
  WHERE `id` = OLD.`user_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `users_items_out_reassign` AFTER UPDATE OF `user_id` ON `loans` WHEN OLD.`user_id` IS NOT NEW.`user_id` BEGIN
  UPDATE `users` SET `items_out` = `items_out` + CASE WHEN `id` = NEW.`user_id` THEN 1 ELSE -1 END
    * (SELECT count(*) FROM `loan_books` WHERE `loan_id` = NEW.`id` AND `active`)
  WHERE `id` IN (OLD.`user_id`, NEW.`user_id`);
END;
--> statement-breakpoint
-- The notices rebuild (nothing references notices; the two triggers that write them go first and
-- come back unchanged, so the rename finds no trigger naming a missing table).
DROP TRIGGER `holds_ready_insert`;
--> statement-breakpoint
DROP TRIGGER `holds_ready_update`;
--> statement-breakpoint
CREATE TABLE `__new_notices` (
	`id` integer PRIMARY KEY NOT NULL,
	`user_id` integer NOT NULL,
	`kind` text NOT NULL,
	`created_at` text NOT NULL,
	`book_id` integer,
	`loan_id` integer,
	`hold_id` integer,
	`message` text NOT NULL,
	`due_on` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_notices`("id", "user_id", "kind", "created_at", "book_id", "loan_id", "hold_id", "message", "due_on") SELECT "id", "user_id", "kind", "created_at", "book_id", "loan_id", "hold_id", "message", "due_on" FROM `notices`;--> statement-breakpoint
DROP TABLE `notices`;--> statement-breakpoint
ALTER TABLE `__new_notices` RENAME TO `notices`;--> statement-breakpoint
CREATE INDEX `notices_user_idx` ON `notices` (`user_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `notices_loan_once` ON `notices` (`loan_id`,`kind`,`due_on`) WHERE "notices"."due_on" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `notices_hold_expired_once` ON `notices` (`hold_id`) WHERE "notices"."kind" = 'hold_expired';--> statement-breakpoint
CREATE TRIGGER `holds_ready_insert` AFTER INSERT ON `holds` WHEN NEW.`status` = 'ready' BEGIN
  UPDATE `copies` SET `status` = 'on_hold_shelf', `version` = `version` + 1 WHERE `id` = NEW.`copy_id`;
  INSERT INTO `notices` (`user_id`, `kind`, `created_at`, `book_id`, `hold_id`, `message`)
  SELECT NEW.`user_id`, 'hold_ready', (SELECT `now` FROM `circulation_context` WHERE `id` = 1), NEW.`book_id`, NEW.`id`,
    'Your hold on "' || `title` || '" is ready: collect it by ' || NEW.`pickup_by` || '.'
  FROM `books` WHERE `id` = NEW.`book_id` AND NEW.`user_id` IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `holds_ready_update` AFTER UPDATE OF `status` ON `holds`
WHEN NEW.`status` = 'ready' AND OLD.`status` <> 'ready' BEGIN
  UPDATE `copies` SET `status` = 'on_hold_shelf', `version` = `version` + 1 WHERE `id` = NEW.`copy_id`;
  INSERT INTO `notices` (`user_id`, `kind`, `created_at`, `book_id`, `hold_id`, `message`)
  SELECT NEW.`user_id`, 'hold_ready', (SELECT `now` FROM `circulation_context` WHERE `id` = 1), NEW.`book_id`, NEW.`id`,
    'Your hold on "' || `title` || '" is ready: collect it by ' || NEW.`pickup_by` || '.'
  FROM `books` WHERE `id` = NEW.`book_id` AND NEW.`user_id` IS NOT NULL;
END;
--> statement-breakpoint
-- The account_entries rebuild: its two triggers go first (so the drop deletes nothing through
-- the append-only guard) and come back unchanged; nothing references the table.
DROP TRIGGER `account_entries_no_delete`;
--> statement-breakpoint
DROP TRIGGER `account_entries_balance`;
--> statement-breakpoint
CREATE TABLE `__new_account_entries` (
	`id` integer PRIMARY KEY NOT NULL,
	`user_id` integer,
	`kind` text NOT NULL,
	`amount_cents` integer NOT NULL,
	`loan_id` integer,
	`copy_id` integer,
	`book_id` integer,
	`note` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "account_entries_kind_valid" CHECK(`kind` IN ('fine', 'charge', 'payment', 'waiver')),
	CONSTRAINT "account_entries_amount_positive" CHECK(`amount_cents` > 0)
);
--> statement-breakpoint
INSERT INTO `__new_account_entries`("id", "user_id", "kind", "amount_cents", "loan_id", "copy_id", "book_id", "note", "created_at") SELECT "id", "user_id", "kind", "amount_cents", "loan_id", "copy_id", "book_id", "note", "created_at" FROM `account_entries`;--> statement-breakpoint
DROP TABLE `account_entries`;--> statement-breakpoint
ALTER TABLE `__new_account_entries` RENAME TO `account_entries`;--> statement-breakpoint
CREATE INDEX `account_entries_user_idx` ON `account_entries` (`user_id`,`id`);--> statement-breakpoint
CREATE TRIGGER `account_entries_balance` AFTER INSERT ON `account_entries` WHEN NEW.`user_id` IS NOT NULL BEGIN
  INSERT INTO `account_balances` (`user_id`, `balance_cents`, `entries`) VALUES (NEW.`user_id`, 0, 0)
  ON CONFLICT (`user_id`) DO NOTHING;
  UPDATE `account_balances` SET
    `balance_cents` = `balance_cents` + CASE WHEN NEW.`kind` IN ('fine', 'charge') THEN NEW.`amount_cents` ELSE -NEW.`amount_cents` END,
    `entries` = `entries` + 1
  WHERE `user_id` = NEW.`user_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `account_entries_no_delete` BEFORE DELETE ON `account_entries` BEGIN
  SELECT RAISE(ABORT, 'account entries are append-only');
END;
