-- Custom migration (hand-written): the events of copies, loans and holds, written by triggers so
-- that every path that changes them (a desk write, a cascade, a copy coming back and filling a hold,
-- the daily job) records them in the same atomic write. The actor and the time come from the
-- one-row circulation context that each such batch writes first (null actor: the daily job).
-- Changes only a route can name (a copy's fields edited, a copy added to or removed from an open
-- loan, a renewal, a lost copy found at check-in) are recorded by the route's own statement.

-- The events table loses AUTOINCREMENT: every insert into such a table reads sqlite_sequence (one
-- row per AUTOINCREMENT table, a dozen), which every event of every write paid. Events are never
-- deleted, so an id is still never reused (a new row takes max(id) + 1). Nothing references the
-- table, so it is rebuilt; the triggers that name it are dropped first and recreated as they were
-- (ALTER TABLE ... RENAME checks every trigger of the schema).
DROP TRIGGER `users_delete_anonymises_events`;
--> statement-breakpoint
CREATE TABLE `__new_events` (
	`id` integer PRIMARY KEY NOT NULL,
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
INSERT INTO `__new_events`(`id`, `at`, `actor_id`, `action`, `user_id`, `book_id`, `copy_id`, `loan_id`, `hold_id`)
SELECT `id`, `at`, `actor_id`, `action`, `user_id`, `book_id`, `copy_id`, `loan_id`, `hold_id` FROM `events`;
--> statement-breakpoint
DROP TABLE `events`;
--> statement-breakpoint
ALTER TABLE `__new_events` RENAME TO `events`;
--> statement-breakpoint
CREATE INDEX `events_action_idx` ON `events` (`action`,`id`);--> statement-breakpoint
CREATE INDEX `events_user_idx` ON `events` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `events_book_idx` ON `events` (`book_id`,`id`);--> statement-breakpoint
CREATE INDEX `events_actor_idx` ON `events` (`actor_id`) WHERE "events"."actor_id" IS NOT NULL;--> statement-breakpoint
-- As migration 0007 wrote them.
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
-- A check-in records the copy, then the loan it ends, then the hold it fills, in that order: the loan
-- now ends before the copy moves on (the same statements as migration 0006's, swapped). SQLite runs
-- the newest trigger of an event first, so this one is created before the events' trigger below.
DROP TRIGGER `loan_books_copy_back`;
--> statement-breakpoint
CREATE TRIGGER `loan_books_copy_back` AFTER UPDATE OF `active` ON `loan_books` WHEN OLD.`active` AND NOT NEW.`active` BEGIN
  UPDATE `loans` SET `return_date` = (SELECT `today` FROM `circulation_context` WHERE `id` = 1)
  WHERE `id` = NEW.`loan_id` AND `return_date` IS NULL
    AND NOT EXISTS (SELECT 1 FROM `loan_books` WHERE `loan_id` = NEW.`loan_id` AND `active`);
  UPDATE `copies` SET `status` = 'available', `version` = `version` + 1 WHERE `id` = NEW.`copy_id` AND `status` = 'on_loan';
END;
--> statement-breakpoint
CREATE TRIGGER `events_copy_created` AFTER INSERT ON `copies` BEGIN
  INSERT INTO `events` (`at`, `actor_id`, `action`, `user_id`, `book_id`, `copy_id`, `loan_id`, `hold_id`)
  SELECT `now`, `actor_id`, 'copy.created', NULL, NEW.`book_id`, NEW.`id`, NULL, NULL FROM `circulation_context` WHERE `id` = 1;
END;
--> statement-breakpoint
-- Also for each copy that goes with its book.
CREATE TRIGGER `events_copy_deleted` AFTER DELETE ON `copies` BEGIN
  INSERT INTO `events` (`at`, `actor_id`, `action`, `user_id`, `book_id`, `copy_id`, `loan_id`, `hold_id`)
  SELECT `now`, `actor_id`, 'copy.deleted', NULL, OLD.`book_id`, OLD.`id`, NULL, NULL FROM `circulation_context` WHERE `id` = 1;
END;
--> statement-breakpoint
-- A copy closed on its loan is checked in (the returns desk, a loan's return), unless it was closed
-- because it was marked lost (that is the copy's update, recorded by the route).
CREATE TRIGGER `events_copy_checked_in` AFTER UPDATE OF `active` ON `loan_books`
WHEN OLD.`active` AND NOT NEW.`active` BEGIN
  INSERT INTO `events` (`at`, `actor_id`, `action`, `user_id`, `book_id`, `copy_id`, `loan_id`, `hold_id`)
  SELECT `now`, `actor_id`, 'copy.checked_in', (SELECT `user_id` FROM `loans` WHERE `id` = NEW.`loan_id`), NEW.`book_id`, NEW.`copy_id`, NEW.`loan_id`, NULL
  FROM `circulation_context` WHERE `id` = 1 AND (SELECT `status` FROM `copies` WHERE `id` = NEW.`copy_id`) IS NOT 'lost';
END;
--> statement-breakpoint
CREATE TRIGGER `events_loan_opened` AFTER INSERT ON `loans` BEGIN
  INSERT INTO `events` (`at`, `actor_id`, `action`, `user_id`, `book_id`, `copy_id`, `loan_id`, `hold_id`)
  SELECT `now`, `actor_id`, 'loan.opened', NEW.`user_id`, NULL, NULL, NEW.`id`, NULL FROM `circulation_context` WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `events_loan_returned` AFTER UPDATE OF `return_date` ON `loans`
WHEN OLD.`return_date` IS NULL AND NEW.`return_date` IS NOT NULL BEGIN
  INSERT INTO `events` (`at`, `actor_id`, `action`, `user_id`, `book_id`, `copy_id`, `loan_id`, `hold_id`)
  SELECT `now`, `actor_id`, 'loan.returned', NEW.`user_id`, NULL, NULL, NEW.`id`, NULL FROM `circulation_context` WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `events_loan_deleted` AFTER DELETE ON `loans` BEGIN
  INSERT INTO `events` (`at`, `actor_id`, `action`, `user_id`, `book_id`, `copy_id`, `loan_id`, `hold_id`)
  SELECT `now`, `actor_id`, 'loan.deleted', OLD.`user_id`, NULL, NULL, OLD.`id`, NULL FROM `circulation_context` WHERE `id` = 1;
END;
--> statement-breakpoint
-- A hold placed on an available copy is ready at once: placed, then ready.
CREATE TRIGGER `events_hold_placed` AFTER INSERT ON `holds` BEGIN
  INSERT INTO `events` (`at`, `actor_id`, `action`, `user_id`, `book_id`, `copy_id`, `loan_id`, `hold_id`)
  SELECT `now`, `actor_id`, 'hold.placed', NEW.`user_id`, NEW.`book_id`, NULL, NULL, NEW.`id` FROM `circulation_context` WHERE `id` = 1;
  INSERT INTO `events` (`at`, `actor_id`, `action`, `user_id`, `book_id`, `copy_id`, `loan_id`, `hold_id`)
  SELECT `now`, `actor_id`, 'hold.ready', NEW.`user_id`, NEW.`book_id`, NEW.`copy_id`, NULL, NEW.`id` FROM `circulation_context`
  WHERE `id` = 1 AND NEW.`status` = 'ready';
END;
--> statement-breakpoint
-- ready, fulfilled, cancelled, expired: each status a hold moves to is its event.
CREATE TRIGGER `events_hold_status` AFTER UPDATE OF `status` ON `holds`
WHEN OLD.`status` IS NOT NEW.`status` AND NEW.`status` IN ('ready', 'fulfilled', 'cancelled', 'expired') BEGIN
  INSERT INTO `events` (`at`, `actor_id`, `action`, `user_id`, `book_id`, `copy_id`, `loan_id`, `hold_id`)
  SELECT `now`, `actor_id`, 'hold.' || NEW.`status`, NEW.`user_id`, NEW.`book_id`, coalesce(NEW.`copy_id`, OLD.`copy_id`), NULL, NEW.`id`
  FROM `circulation_context` WHERE `id` = 1;
END;
