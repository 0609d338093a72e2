DROP INDEX `books_title_lower_unique`;--> statement-breakpoint
ALTER TABLE `books` ADD `title_key` text;--> statement-breakpoint
-- Hand-added: existing titles were unique under lower(); the app writes Unicode-folded keys.
UPDATE `books` SET `title_key` = lower(`title`);--> statement-breakpoint
CREATE UNIQUE INDEX `books_title_key_unique` ON `books` (`title_key`);--> statement-breakpoint
ALTER TABLE `users` ADD `token_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Hand-added: rows inserted by raw SQL (seed scripts, consoles) still take part in uniqueness.
CREATE TRIGGER `books_title_key_fallback` AFTER INSERT ON `books` WHEN NEW.`title_key` IS NULL BEGIN
  UPDATE `books` SET `title_key` = lower(NEW.`title`) WHERE `id` = NEW.`id`;
END;
