CREATE TABLE `account_balances` (
	`user_id` integer PRIMARY KEY NOT NULL,
	`balance_cents` integer DEFAULT 0 NOT NULL,
	`entries` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "account_balances_not_negative" CHECK("account_balances"."balance_cents" >= 0)
);
--> statement-breakpoint
CREATE TABLE `account_entries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer,
	`kind` text NOT NULL,
	`amount_cents` integer NOT NULL,
	`loan_id` integer,
	`copy_id` integer,
	`book_id` integer,
	`note` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "account_entries_kind_valid" CHECK("account_entries"."kind" IN ('fine', 'charge', 'payment', 'waiver')),
	CONSTRAINT "account_entries_amount_positive" CHECK("account_entries"."amount_cents" > 0)
);
--> statement-breakpoint
CREATE INDEX `account_entries_user_idx` ON `account_entries` (`user_id`,`id`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text NOT NULL,
	`actor_id` integer,
	`action` text NOT NULL,
	`user_id` integer,
	`book_id` integer,
	`copy_id` integer,
	`loan_id` integer,
	`hold_id` integer
);
--> statement-breakpoint
CREATE INDEX `events_action_idx` ON `events` (`action`,`id`);--> statement-breakpoint
CREATE INDEX `events_user_idx` ON `events` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `events_book_idx` ON `events` (`book_id`,`id`);--> statement-breakpoint
CREATE INDEX `events_actor_idx` ON `events` (`actor_id`) WHERE "events"."actor_id" IS NOT NULL;--> statement-breakpoint
CREATE TABLE `policy` (
	`id` integer PRIMARY KEY NOT NULL,
	`loan_days` integer DEFAULT 14 NOT NULL,
	`renewal_days` integer DEFAULT 14 NOT NULL,
	`max_renewals` integer DEFAULT 2 NOT NULL,
	`max_active_copies` integer DEFAULT 10 NOT NULL,
	`max_holds` integer DEFAULT 5 NOT NULL,
	`hold_pickup_days` integer DEFAULT 7 NOT NULL,
	`fine_per_day_cents` integer DEFAULT 25 NOT NULL,
	`max_fine_per_copy_cents` integer DEFAULT 1000 NOT NULL,
	`block_balance_cents` integer DEFAULT 500 NOT NULL,
	`block_overdue_copies` integer DEFAULT 1 NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	CONSTRAINT "policy_single_row" CHECK("policy"."id" = 1),
	CONSTRAINT "policy_loan_days" CHECK("policy"."loan_days" BETWEEN 1 AND 365),
	CONSTRAINT "policy_renewal_days" CHECK("policy"."renewal_days" BETWEEN 1 AND 365),
	CONSTRAINT "policy_max_renewals" CHECK("policy"."max_renewals" BETWEEN 0 AND 10),
	CONSTRAINT "policy_max_active_copies" CHECK("policy"."max_active_copies" BETWEEN 1 AND 100),
	CONSTRAINT "policy_max_holds" CHECK("policy"."max_holds" BETWEEN 0 AND 100),
	CONSTRAINT "policy_hold_pickup_days" CHECK("policy"."hold_pickup_days" BETWEEN 1 AND 60),
	CONSTRAINT "policy_fine_per_day_cents" CHECK("policy"."fine_per_day_cents" BETWEEN 0 AND 100000),
	CONSTRAINT "policy_max_fine_per_copy_cents" CHECK("policy"."max_fine_per_copy_cents" BETWEEN 0 AND 100000),
	CONSTRAINT "policy_block_balance_cents" CHECK("policy"."block_balance_cents" BETWEEN 0 AND 100000),
	CONSTRAINT "policy_block_overdue_copies" CHECK("policy"."block_overdue_copies" BETWEEN 0 AND 100)
);
--> statement-breakpoint
-- Hand-added (replaces drizzle-kit's rebuild of `loans`, which relies on PRAGMA foreign_keys=OFF:
-- inside D1's migration transaction that pragma does nothing, and dropping `loans` would then
-- cascade-delete every loan_books row). The CHECK on renewals widens to the policy's bound
-- (max_renewals 0–10); SQLite can change a CHECK only by rebuilding the table. loan_books is set
-- aside first and put back after (its triggers lower, then restore, books.readers and on_loan),
-- the AUTOINCREMENT counter is carried over so deleted loans' ids are never reused, and the
-- indexes and triggers that DROP TABLE removes are recreated below.
CREATE TABLE `__saved_loan_books` AS SELECT `loan_id`, `book_id`, `active` FROM `loan_books`;--> statement-breakpoint
DELETE FROM `loan_books`;--> statement-breakpoint
CREATE TABLE `__new_loans` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer,
	`loan_date` text NOT NULL,
	`deadline` text NOT NULL,
	`return_date` text,
	`renewals` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "loans_renewals_range" CHECK("__new_loans"."renewals" BETWEEN 0 AND 10)
);
--> statement-breakpoint
INSERT INTO `__new_loans`("id", "user_id", "loan_date", "deadline", "return_date", "renewals") SELECT "id", "user_id", "loan_date", "deadline", "return_date", "renewals" FROM `loans`;--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT '__new_loans', `seq` FROM `sqlite_sequence` WHERE `name` = 'loans'
  AND NOT EXISTS (SELECT 1 FROM `sqlite_sequence` WHERE `name` = '__new_loans');--> statement-breakpoint
UPDATE `sqlite_sequence` SET `seq` = max(`seq`, (SELECT `seq` FROM `sqlite_sequence` WHERE `name` = 'loans'))
  WHERE `name` = '__new_loans';--> statement-breakpoint
DROP TABLE `loans`;--> statement-breakpoint
ALTER TABLE `__new_loans` RENAME TO `loans`;--> statement-breakpoint
INSERT INTO `loan_books` (`loan_id`, `book_id`, `active`) SELECT `loan_id`, `book_id`, `active` FROM `__saved_loan_books`;--> statement-breakpoint
DROP TABLE `__saved_loan_books`;--> statement-breakpoint
CREATE INDEX `loans_user_idx` ON `loans` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `loans_open_deadline_idx` ON `loans` (`deadline`,`id`) WHERE "loans"."return_date" IS NULL;--> statement-breakpoint
CREATE INDEX `loans_open_id_idx` ON `loans` (`id`,`deadline`) WHERE "loans"."return_date" IS NULL;--> statement-breakpoint
-- Hand-added: the loans triggers of 0001 and 0003, as they were (DROP TABLE removed them).
CREATE TRIGGER `loans_count_insert` AFTER INSERT ON `loans` BEGIN
  UPDATE `counters` SET `value` = `value` + 1 WHERE `name` = 'loans';
END;
--> statement-breakpoint
CREATE TRIGGER `loans_count_delete` AFTER DELETE ON `loans` BEGIN
  UPDATE `counters` SET `value` = `value` - 1 WHERE `name` = 'loans';
END;
--> statement-breakpoint
CREATE TRIGGER `loans_user_count_insert` AFTER INSERT ON `loans` WHEN NEW.`user_id` IS NOT NULL BEGIN
  INSERT INTO `counters` (`name`, `value`) VALUES ('loans:user:' || NEW.`user_id`, 1)
  ON CONFLICT (`name`) DO UPDATE SET `value` = `value` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `loans_user_count_delete` AFTER DELETE ON `loans` WHEN OLD.`user_id` IS NOT NULL BEGIN
  UPDATE `counters` SET `value` = `value` - 1 WHERE `name` = 'loans:user:' || OLD.`user_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `loans_user_count_reassign` AFTER UPDATE OF `user_id` ON `loans`
WHEN OLD.`user_id` IS NOT NEW.`user_id` BEGIN
  UPDATE `counters` SET `value` = `value` - 1 WHERE `name` = 'loans:user:' || OLD.`user_id`;
  INSERT INTO `counters` (`name`, `value`) SELECT 'loans:user:' || NEW.`user_id`, 1 WHERE NEW.`user_id` IS NOT NULL
  ON CONFLICT (`name`) DO UPDATE SET `value` = `value` + 1;
END;
--> statement-breakpoint
-- Hand-added: the one policy row, with the defaults (Part one's loan period and renewals).
INSERT INTO `policy` (`id`) VALUES (1);
--> statement-breakpoint
-- Hand-added: events are append-only. The only change allowed is the nulling of user_id and
-- actor_id when that user is deleted (the trigger below).
CREATE TRIGGER `events_no_delete` BEFORE DELETE ON `events` BEGIN
  SELECT RAISE(ABORT, 'events are append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `events_no_update` BEFORE UPDATE ON `events`
WHEN NEW.`id` IS NOT OLD.`id` OR NEW.`at` IS NOT OLD.`at` OR NEW.`action` IS NOT OLD.`action`
  OR NEW.`book_id` IS NOT OLD.`book_id` OR NEW.`copy_id` IS NOT OLD.`copy_id`
  OR NEW.`loan_id` IS NOT OLD.`loan_id` OR NEW.`hold_id` IS NOT OLD.`hold_id`
  OR (NEW.`user_id` IS NOT NULL AND NEW.`user_id` IS NOT OLD.`user_id`)
  OR (NEW.`actor_id` IS NOT NULL AND NEW.`actor_id` IS NOT OLD.`actor_id`) BEGIN
  SELECT RAISE(ABORT, 'events are append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `users_delete_anonymises_events` AFTER DELETE ON `users` BEGIN
  UPDATE `events` SET `user_id` = NULL WHERE `user_id` = OLD.`id`;
  UPDATE `events` SET `actor_id` = NULL WHERE `actor_id` = OLD.`id`;
END;
--> statement-breakpoint
-- Hand-added: each patron's balance and entry count, kept in the same write as the entry.
-- A payment or waiver that would take the balance below 0 fails the CHECK and aborts the write.
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
