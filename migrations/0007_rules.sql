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
-- Hand-added (instead of drizzle-kit's rebuild of `loans`): the CHECK on renewals must follow the
-- policy's bound (max_renewals 0–10), and SQLite changes a CHECK only by rebuilding the table. A
-- rebuild is unsafe here: D1 keeps foreign keys on inside a migration, so dropping `loans` would
-- cascade into loan_books and fire its triggers (which free copies, fill holds and end loans).
-- So the old column steps aside (RENAME COLUMN carries its CHECK along), a new `renewals` column
-- with the wider CHECK takes its place and its values; the old one is never written again
-- (default 0) and is not part of the schema the app knows.
ALTER TABLE `loans` RENAME COLUMN `renewals` TO `renewals_before_policy`;--> statement-breakpoint
ALTER TABLE `loans` ADD `renewals` integer DEFAULT 0 NOT NULL CONSTRAINT "loans_renewals_policy_range" CHECK(`renewals` BETWEEN 0 AND 10);--> statement-breakpoint
UPDATE `loans` SET `renewals` = `renewals_before_policy` WHERE `renewals_before_policy` <> 0;--> statement-breakpoint
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
