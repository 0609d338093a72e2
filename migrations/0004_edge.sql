CREATE TABLE `idempotency_keys` (
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`fingerprint` text NOT NULL,
	`status` integer,
	`resource_id` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`scope`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_created_idx` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
ALTER TABLE `books` ADD `version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
-- Hand-added: the ETag versions. The app's own UPDATEs raise `version` in the statement itself
-- (so RETURNING shows the new one and If-Match is checked in the same WHERE); these triggers raise
-- it for every other change to what an answer shows: a book's `available` moved by the loan_books
-- triggers, a role set by create-admin, any hand-run SQL. They never fire on their own update.
CREATE TRIGGER `books_version_bump` AFTER UPDATE ON `books`
WHEN NEW.`version` = OLD.`version` AND (
  NEW.`title` IS NOT OLD.`title` OR NEW.`genre` IS NOT OLD.`genre` OR NEW.`age_category` IS NOT OLD.`age_category`
  OR NEW.`publish_date` IS NOT OLD.`publish_date` OR NEW.`author` IS NOT OLD.`author` OR NEW.`on_loan` IS NOT OLD.`on_loan`
) BEGIN
  UPDATE `books` SET `version` = OLD.`version` + 1 WHERE `id` = NEW.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `users_version_bump` AFTER UPDATE ON `users`
WHEN NEW.`version` = OLD.`version` AND (
  NEW.`first_name` IS NOT OLD.`first_name` OR NEW.`last_name` IS NOT OLD.`last_name` OR NEW.`email` IS NOT OLD.`email`
  OR NEW.`dob` IS NOT OLD.`dob` OR NEW.`address` IS NOT OLD.`address` OR NEW.`role` IS NOT OLD.`role`
) BEGIN
  UPDATE `users` SET `version` = OLD.`version` + 1 WHERE `id` = NEW.`id`;
END;
