DROP INDEX `books_title_lower_unique`;--> statement-breakpoint
ALTER TABLE `books` ADD `title_key` text;--> statement-breakpoint
-- Existing titles were unique under lower(); the app rewrites keys with Unicode folding on update.
UPDATE `books` SET `title_key` = lower(`title`);--> statement-breakpoint
CREATE UNIQUE INDEX `books_title_key_unique` ON `books` (`title_key`);--> statement-breakpoint
ALTER TABLE `users` ADD `tokens_valid_after` integer;--> statement-breakpoint
-- Hand-added: rows inserted by raw SQL (seed scripts, consoles) still take part in uniqueness.
CREATE TRIGGER `books_title_key_fallback` AFTER INSERT ON `books` WHEN NEW.`title_key` IS NULL BEGIN
  UPDATE `books` SET `title_key` = lower(NEW.`title`) WHERE `id` = NEW.`id`;
END;
