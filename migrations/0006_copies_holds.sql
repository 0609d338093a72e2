CREATE TABLE `circulation_context` (
	`id` integer PRIMARY KEY NOT NULL,
	`today` text NOT NULL,
	`now` text NOT NULL,
	`actor_id` integer,
	`hold_pickup_days` integer NOT NULL,
	CONSTRAINT "circulation_context_one_row" CHECK("circulation_context"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE `copies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`book_id` integer NOT NULL,
	`barcode` text,
	`location` text,
	`status` text DEFAULT 'available' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`book_id`) REFERENCES `books`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "copies_barcode_upper" CHECK("copies"."barcode" = upper("copies"."barcode")),
	CONSTRAINT "copies_status_valid" CHECK("copies"."status" IN ('available', 'on_loan', 'on_hold_shelf', 'lost', 'withdrawn'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `copies_barcode_unique` ON `copies` (`barcode`);--> statement-breakpoint
CREATE INDEX `copies_book_idx` ON `copies` (`book_id`,`id`);--> statement-breakpoint
CREATE INDEX `copies_available_idx` ON `copies` (`book_id`,`id`) WHERE "copies"."status" = 'available';--> statement-breakpoint
CREATE TABLE `holds` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer,
	`book_id` integer NOT NULL,
	`status` text DEFAULT 'waiting' NOT NULL,
	`copy_id` integer,
	`placed_on` text NOT NULL,
	`ready_on` text,
	`pickup_by` text,
	`closed_on` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "holds_status_valid" CHECK("holds"."status" IN ('waiting', 'ready', 'fulfilled', 'cancelled', 'expired'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `holds_one_ready_per_copy` ON `holds` (`copy_id`) WHERE "holds"."status" = 'ready';--> statement-breakpoint
CREATE UNIQUE INDEX `holds_one_open_per_user_book` ON `holds` (`user_id`,`book_id`) WHERE "holds"."status" IN ('waiting', 'ready');--> statement-breakpoint
CREATE INDEX `holds_waiting_idx` ON `holds` (`book_id`,`id`) WHERE "holds"."status" = 'waiting';--> statement-breakpoint
CREATE INDEX `holds_book_idx` ON `holds` (`book_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `holds_user_idx` ON `holds` (`user_id`,`id`);--> statement-breakpoint
CREATE TABLE `notices` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`kind` text NOT NULL,
	`created_at` text NOT NULL,
	`book_id` integer,
	`loan_id` integer,
	`hold_id` integer,
	`message` text NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `notices_user_idx` ON `notices` (`user_id`,`id`);--> statement-breakpoint
-- Every statement that changes a copy raises its `version` (the ETag) in the same UPDATE.
-- Hand-added from here on (drizzle-kit generated the tables and indexes; the loan_books rebuild
-- is rewritten so that existing rows keep working, and the triggers are the rules of circulation).

-- The context row triggers read; every circulation write upserts it as its batch's first statement.
INSERT INTO `circulation_context` (`id`, `today`, `now`, `actor_id`, `hold_pickup_days`)
VALUES (1, date('now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, 7);
--> statement-breakpoint
ALTER TABLE `books` ADD `copies` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `books` ADD `available_copies` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `books` ADD `holds_waiting` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Every book that existed before copies gets one, with the id of its book (the table is new) and the
-- assigned barcode `C` + that id on 8 digits; it is on loan exactly when the book was.
INSERT INTO `copies` (`id`, `book_id`, `barcode`, `status`)
SELECT `id`, `id`, 'C' || printf('%08d', `id`), CASE WHEN `on_loan` THEN 'on_loan' ELSE 'available' END FROM `books`;
--> statement-breakpoint
UPDATE `books` SET `copies` = 1, `available_copies` = 1 - `on_loan`;
--> statement-breakpoint
-- Catalogue-wide counters (for /stats), kept by the same triggers as the book's counts.
INSERT INTO `counters` (`name`, `value`) VALUES
  ('copies', (SELECT count(*) FROM `copies`)),
  ('available_copies', (SELECT count(*) FROM `copies` WHERE `status` = 'available')),
  ('holds_waiting', 0),
  ('holds_ready', 0);
--> statement-breakpoint
-- Loan rows now point at copies: each moves to its book's one copy (active rows included), and a
-- returned loan's rows take its return date. Nothing references loan_books, so it can be rebuilt
-- without switching foreign keys off (D1 would not allow it); its old triggers go with it.
CREATE TABLE `__new_loan_books` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`loan_id` integer NOT NULL,
	`book_id` integer NOT NULL,
	`copy_id` integer NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`return_date` text,
	FOREIGN KEY (`loan_id`) REFERENCES `loans`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`book_id`) REFERENCES `books`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`copy_id`) REFERENCES `copies`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_loan_books` (`loan_id`, `book_id`, `copy_id`, `active`, `return_date`)
SELECT lb.`loan_id`, lb.`book_id`, lb.`book_id`, lb.`active`, CASE WHEN lb.`active` THEN NULL ELSE l.`return_date` END
FROM `loan_books` lb JOIN `loans` l ON l.`id` = lb.`loan_id` ORDER BY lb.`loan_id`, lb.`book_id`;
--> statement-breakpoint
DROP TABLE `loan_books`;--> statement-breakpoint
ALTER TABLE `__new_loan_books` RENAME TO `loan_books`;--> statement-breakpoint
CREATE UNIQUE INDEX `loan_books_one_active_loan_per_copy` ON `loan_books` (`copy_id`) WHERE "loan_books"."active" = 1;--> statement-breakpoint
CREATE UNIQUE INDEX `loan_books_one_copy_per_book_per_loan` ON `loan_books` (`loan_id`,`book_id`) WHERE "loan_books"."active" = 1;--> statement-breakpoint
CREATE INDEX `loan_books_loan_idx` ON `loan_books` (`loan_id`,`book_id`);--> statement-breakpoint
CREATE INDEX `loan_books_book_idx` ON `loan_books` (`book_id`,`active`);--> statement-breakpoint
CREATE INDEX `loan_books_copy_idx` ON `loan_books` (`copy_id`,`id`);--> statement-breakpoint
--> statement-breakpoint
-- `available` now follows the copies: the column goes (a trigger naming it must go first).
DROP TRIGGER IF EXISTS `books_version_bump`;
--> statement-breakpoint
ALTER TABLE `books` DROP COLUMN `on_loan`;
--> statement-breakpoint
-- The book's ETag follows its counts as it followed `on_loan` (migrations/0004's trigger, rewritten).
CREATE TRIGGER `books_version_bump` AFTER UPDATE ON `books`
WHEN NEW.`version` = OLD.`version` AND (
  NEW.`title` IS NOT OLD.`title` OR NEW.`genre` IS NOT OLD.`genre` OR NEW.`age_category` IS NOT OLD.`age_category`
  OR NEW.`publish_date` IS NOT OLD.`publish_date` OR NEW.`author` IS NOT OLD.`author`
  OR NEW.`copies` IS NOT OLD.`copies` OR NEW.`available_copies` IS NOT OLD.`available_copies`
  OR NEW.`holds_waiting` IS NOT OLD.`holds_waiting`
) BEGIN
  UPDATE `books` SET `version` = OLD.`version` + 1 WHERE `id` = NEW.`id`;
END;
--> statement-breakpoint

-- Copies: the book's counts, an assigned barcode, and the one shared rule
-- "a copy that becomes available goes to the first waiting hold on its book, else to the shelf".
CREATE TRIGGER `copies_barcode_assigned` AFTER INSERT ON `copies` WHEN NEW.`barcode` IS NULL BEGIN
  UPDATE `copies` SET `barcode` = 'C' || printf('%08d', NEW.`id`) WHERE `id` = NEW.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `copies_count_insert` AFTER INSERT ON `copies` BEGIN
  UPDATE `books` SET `copies` = `copies` + (NEW.`status` <> 'withdrawn'), `available_copies` = `available_copies` + (NEW.`status` = 'available')
  WHERE ((NEW.`status` <> 'withdrawn') <> 0 OR (NEW.`status` = 'available') <> 0) AND `id` = NEW.`book_id`;
  UPDATE `counters` SET `value` = `value` + (NEW.`status` <> 'withdrawn') WHERE (NEW.`status` <> 'withdrawn') <> 0 AND `name` = 'copies';
  UPDATE `counters` SET `value` = `value` + (NEW.`status` = 'available') WHERE (NEW.`status` = 'available') <> 0 AND `name` = 'available_copies';
END;
--> statement-breakpoint
CREATE TRIGGER `copies_count_update` AFTER UPDATE OF `status` ON `copies` WHEN OLD.`status` IS NOT NEW.`status` BEGIN
  UPDATE `books` SET `copies` = `copies` + ((NEW.`status` <> 'withdrawn') - (OLD.`status` <> 'withdrawn')), `available_copies` = `available_copies` + ((NEW.`status` = 'available') - (OLD.`status` = 'available'))
  WHERE (((NEW.`status` <> 'withdrawn') - (OLD.`status` <> 'withdrawn')) <> 0 OR ((NEW.`status` = 'available') - (OLD.`status` = 'available')) <> 0) AND `id` = NEW.`book_id`;
  UPDATE `counters` SET `value` = `value` + ((NEW.`status` <> 'withdrawn') - (OLD.`status` <> 'withdrawn')) WHERE ((NEW.`status` <> 'withdrawn') - (OLD.`status` <> 'withdrawn')) <> 0 AND `name` = 'copies';
  UPDATE `counters` SET `value` = `value` + ((NEW.`status` = 'available') - (OLD.`status` = 'available')) WHERE ((NEW.`status` = 'available') - (OLD.`status` = 'available')) <> 0 AND `name` = 'available_copies';
END;
--> statement-breakpoint
CREATE TRIGGER `copies_count_delete` AFTER DELETE ON `copies` BEGIN
  UPDATE `books` SET `copies` = `copies` + (-(OLD.`status` <> 'withdrawn')), `available_copies` = `available_copies` + (-(OLD.`status` = 'available'))
  WHERE ((-(OLD.`status` <> 'withdrawn')) <> 0 OR (-(OLD.`status` = 'available')) <> 0) AND `id` = OLD.`book_id`;
  UPDATE `counters` SET `value` = `value` + (-(OLD.`status` <> 'withdrawn')) WHERE (-(OLD.`status` <> 'withdrawn')) <> 0 AND `name` = 'copies';
  UPDATE `counters` SET `value` = `value` + (-(OLD.`status` = 'available')) WHERE (-(OLD.`status` = 'available')) <> 0 AND `name` = 'available_copies';
END;
--> statement-breakpoint
CREATE TRIGGER `copies_fill_hold_insert` AFTER INSERT ON `copies` WHEN NEW.`status` = 'available' BEGIN
  UPDATE `holds` SET `status` = 'ready', `copy_id` = NEW.`id`, `ready_on` = (SELECT `today` FROM `circulation_context` WHERE `id` = 1),
    `pickup_by` = date((SELECT `today` FROM `circulation_context` WHERE `id` = 1), '+' || (SELECT `hold_pickup_days` FROM `circulation_context` WHERE `id` = 1) || ' days')
  WHERE `id` = (SELECT `id` FROM `holds` WHERE `book_id` = NEW.`book_id` AND `status` = 'waiting' ORDER BY `id` LIMIT 1);
END;
--> statement-breakpoint
CREATE TRIGGER `copies_fill_hold_update` AFTER UPDATE OF `status` ON `copies`
WHEN NEW.`status` = 'available' AND OLD.`status` <> 'available' BEGIN
  UPDATE `holds` SET `status` = 'ready', `copy_id` = NEW.`id`, `ready_on` = (SELECT `today` FROM `circulation_context` WHERE `id` = 1),
    `pickup_by` = date((SELECT `today` FROM `circulation_context` WHERE `id` = 1), '+' || (SELECT `hold_pickup_days` FROM `circulation_context` WHERE `id` = 1) || ' days')
  WHERE `id` = (SELECT `id` FROM `holds` WHERE `book_id` = NEW.`book_id` AND `status` = 'waiting' ORDER BY `id` LIMIT 1);
END;
--> statement-breakpoint

-- Holds: the book's waiting count (and the catalogue's waiting and ready counters); a hold that becomes ready sets its copy aside and tells the
-- patron; a ready hold that closes without its copy being borrowed passes the copy on.
CREATE TRIGGER `holds_count_insert` AFTER INSERT ON `holds` BEGIN
  UPDATE `books` SET `holds_waiting` = `holds_waiting` + (NEW.`status` = 'waiting') WHERE (NEW.`status` = 'waiting') <> 0 AND `id` = NEW.`book_id`;
  UPDATE `counters` SET `value` = `value` + (NEW.`status` = 'waiting') WHERE (NEW.`status` = 'waiting') <> 0 AND `name` = 'holds_waiting';
  UPDATE `counters` SET `value` = `value` + (NEW.`status` = 'ready') WHERE (NEW.`status` = 'ready') <> 0 AND `name` = 'holds_ready';
END;
--> statement-breakpoint
CREATE TRIGGER `holds_count_update` AFTER UPDATE OF `status` ON `holds` WHEN OLD.`status` IS NOT NEW.`status` BEGIN
  UPDATE `books` SET `holds_waiting` = `holds_waiting` + ((NEW.`status` = 'waiting') - (OLD.`status` = 'waiting')) WHERE ((NEW.`status` = 'waiting') - (OLD.`status` = 'waiting')) <> 0 AND `id` = NEW.`book_id`;
  UPDATE `counters` SET `value` = `value` + ((NEW.`status` = 'waiting') - (OLD.`status` = 'waiting')) WHERE ((NEW.`status` = 'waiting') - (OLD.`status` = 'waiting')) <> 0 AND `name` = 'holds_waiting';
  UPDATE `counters` SET `value` = `value` + ((NEW.`status` = 'ready') - (OLD.`status` = 'ready')) WHERE ((NEW.`status` = 'ready') - (OLD.`status` = 'ready')) <> 0 AND `name` = 'holds_ready';
END;
--> statement-breakpoint
CREATE TRIGGER `holds_count_delete` AFTER DELETE ON `holds` BEGIN
  UPDATE `books` SET `holds_waiting` = `holds_waiting` + (-(OLD.`status` = 'waiting')) WHERE (-(OLD.`status` = 'waiting')) <> 0 AND `id` = OLD.`book_id`;
  UPDATE `counters` SET `value` = `value` + (-(OLD.`status` = 'waiting')) WHERE (-(OLD.`status` = 'waiting')) <> 0 AND `name` = 'holds_waiting';
  UPDATE `counters` SET `value` = `value` + (-(OLD.`status` = 'ready')) WHERE (-(OLD.`status` = 'ready')) <> 0 AND `name` = 'holds_ready';
END;
--> statement-breakpoint
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
CREATE TRIGGER `holds_release_copy` AFTER UPDATE OF `status` ON `holds`
WHEN OLD.`status` = 'ready' AND NEW.`status` <> 'ready' BEGIN
  UPDATE `copies` SET `status` = 'available', `version` = `version` + 1 WHERE `id` = OLD.`copy_id` AND `status` = 'on_hold_shelf';
END;
--> statement-breakpoint

-- Loan rows: lending a copy takes it off the shelf and fulfils the borrower's open hold on the book
-- (a different copy set aside for them passes on); a copy coming back is available again (and so
-- goes to the queue); a loan whose last copy came back ends. `readers` counts loans per title.
CREATE TRIGGER `loan_books_insert` AFTER INSERT ON `loan_books` BEGIN
  UPDATE `copies` SET `status` = 'on_loan', `version` = `version` + 1 WHERE `id` = NEW.`copy_id` AND NEW.`active`;
  UPDATE `holds` SET `status` = 'fulfilled', `closed_on` = (SELECT `today` FROM `circulation_context` WHERE `id` = 1)
  WHERE NEW.`active` AND `book_id` = NEW.`book_id` AND `status` IN ('waiting', 'ready')
    AND `user_id` = (SELECT `user_id` FROM `loans` WHERE `id` = NEW.`loan_id`);
  UPDATE `books` SET `readers` = `readers` + 1
  WHERE `id` = NEW.`book_id` AND NOT EXISTS (
    SELECT 1 FROM `loan_books` WHERE `loan_id` = NEW.`loan_id` AND `book_id` = NEW.`book_id` AND `id` <> NEW.`id`);
END;
--> statement-breakpoint
CREATE TRIGGER `loan_books_copy_back` AFTER UPDATE OF `active` ON `loan_books` WHEN OLD.`active` AND NOT NEW.`active` BEGIN
  UPDATE `copies` SET `status` = 'available', `version` = `version` + 1 WHERE `id` = NEW.`copy_id` AND `status` = 'on_loan';
  UPDATE `loans` SET `return_date` = (SELECT `today` FROM `circulation_context` WHERE `id` = 1)
  WHERE `id` = NEW.`loan_id` AND `return_date` IS NULL
    AND NOT EXISTS (SELECT 1 FROM `loan_books` WHERE `loan_id` = NEW.`loan_id` AND `active`);
END;
--> statement-breakpoint
CREATE TRIGGER `loan_books_delete` AFTER DELETE ON `loan_books` BEGIN
  UPDATE `copies` SET `status` = 'available', `version` = `version` + 1 WHERE OLD.`active` AND `id` = OLD.`copy_id` AND `status` = 'on_loan';
  UPDATE `books` SET `readers` = `readers` - 1
  WHERE `id` = OLD.`book_id` AND NOT EXISTS (
    SELECT 1 FROM `loan_books` WHERE `loan_id` = OLD.`loan_id` AND `book_id` = OLD.`book_id`);
  UPDATE `loans` SET `return_date` = (SELECT `today` FROM `circulation_context` WHERE `id` = 1)
  WHERE OLD.`active` AND `id` = OLD.`loan_id` AND `return_date` IS NULL
    AND NOT EXISTS (SELECT 1 FROM `loan_books` WHERE `loan_id` = OLD.`loan_id` AND `active`)
    AND EXISTS (SELECT 1 FROM `loan_books` WHERE `loan_id` = OLD.`loan_id`);
END;
--> statement-breakpoint

-- A user's open holds are cancelled before the account goes (a ready copy passes on); the rows stay,
-- with user_id set to NULL by the foreign key.
CREATE TRIGGER `users_cancel_holds` BEFORE DELETE ON `users` BEGIN
  UPDATE `holds` SET `status` = 'cancelled', `closed_on` = (SELECT `today` FROM `circulation_context` WHERE `id` = 1)
  WHERE `user_id` = OLD.`id` AND `status` IN ('waiting', 'ready');
END;
