-- Custom migration: a copy checked in (or returned with its loan) while patrons wait for its book
-- goes straight from `on_loan` to `on_hold_shelf`. It used to pass through `available` first, and
-- every step cost rows: the book's counts and the `available_copies` counter moved up and back
-- down (four rows read, four written), and the copy itself was written twice. Nothing a client
-- sees changes: the first waiting hold becomes ready with the copy, in the same statement, and the
-- events keep their order (copy.checked_in, loan.returned, hold.ready). The other ways a copy
-- comes back (a hold cancelled or expired, a copy found or restored, a loan row deleted) still
-- pass through `available`, where copies_fill_hold_update hands it on.
--
-- SQLite runs the newest trigger of an event first, so the triggers of a loan row closing are
-- recreated in their old order: loan_books_copy_back, events_copy_checked_in, users_items_out_active.
DROP TRIGGER `users_items_out_active`;
--> statement-breakpoint
DROP TRIGGER `events_copy_checked_in`;
--> statement-breakpoint
DROP TRIGGER `loan_books_copy_back`;
--> statement-breakpoint
CREATE TRIGGER `loan_books_copy_back` AFTER UPDATE OF `active` ON `loan_books` WHEN OLD.`active` AND NOT NEW.`active` BEGIN
  UPDATE `loans` SET `return_date` = (SELECT `today` FROM `circulation_context` WHERE `id` = 1)
  WHERE `id` = NEW.`loan_id` AND `return_date` IS NULL
    AND NOT EXISTS (SELECT 1 FROM `loan_books` WHERE `loan_id` = NEW.`loan_id` AND `active`);
  UPDATE `copies` SET `version` = `version` + 1,
    `status` = CASE WHEN EXISTS (SELECT 1 FROM `holds` WHERE `book_id` = NEW.`book_id` AND `status` = 'waiting') THEN 'on_hold_shelf' ELSE 'available' END
  WHERE `id` = NEW.`copy_id` AND `status` = 'on_loan';
END;
--> statement-breakpoint
CREATE TRIGGER `events_copy_checked_in` AFTER UPDATE OF `active` ON `loan_books`
WHEN OLD.`active` AND NOT NEW.`active` BEGIN
  INSERT INTO `events` (`at`, `actor_id`, `action`, `user_id`, `book_id`, `copy_id`, `loan_id`, `hold_id`)
  SELECT `now`, `actor_id`, 'copy.checked_in', (SELECT `user_id` FROM `loans` WHERE `id` = NEW.`loan_id`), NEW.`book_id`, NEW.`copy_id`, NEW.`loan_id`, NULL
  FROM `circulation_context` WHERE `id` = 1 AND (SELECT `status` FROM `copies` WHERE `id` = NEW.`copy_id`) IS NOT 'lost';
END;
--> statement-breakpoint
CREATE TRIGGER `users_items_out_active` AFTER UPDATE OF `active` ON `loan_books` WHEN (OLD.`active` <> 0) IS NOT (NEW.`active` <> 0) BEGIN
  UPDATE `users` SET `items_out` = `items_out` + CASE WHEN NEW.`active` THEN 1 ELSE -1 END
  WHERE `id` = (SELECT `user_id` FROM `loans` WHERE `id` = NEW.`loan_id`);
END;
--> statement-breakpoint
-- The copy set aside for the first waiting hold: the hold becomes ready with it (the same update
-- copies_fill_hold_update makes for a copy coming back to the shelf).
CREATE TRIGGER `copies_fill_hold_shelf` AFTER UPDATE OF `status` ON `copies`
WHEN OLD.`status` = 'on_loan' AND NEW.`status` = 'on_hold_shelf' BEGIN
  UPDATE `holds` SET `status` = 'ready', `copy_id` = NEW.`id`,
    (`ready_on`, `pickup_by`) = (SELECT `today`, date(`today`, '+' || `hold_pickup_days` || ' days') FROM `circulation_context` WHERE `id` = 1)
  WHERE `id` = (SELECT `id` FROM `holds` WHERE `book_id` = NEW.`book_id` AND `status` = 'waiting' ORDER BY `id` LIMIT 1);
END;
--> statement-breakpoint
-- A hold made ready sets its copy aside, unless the copy came back to the shelf for it already.
-- (Still the newest trigger of a hold's status change, as before.)
DROP TRIGGER `holds_ready_update`;
--> statement-breakpoint
CREATE TRIGGER `holds_ready_update` AFTER UPDATE OF `status` ON `holds`
WHEN NEW.`status` = 'ready' AND OLD.`status` <> 'ready' BEGIN
  UPDATE `copies` SET `status` = 'on_hold_shelf', `version` = `version` + 1 WHERE `id` = NEW.`copy_id` AND `status` <> 'on_hold_shelf';
  INSERT INTO `notices` (`user_id`, `kind`, `created_at`, `book_id`, `hold_id`, `message`)
  SELECT NEW.`user_id`, 'hold_ready', (SELECT `now` FROM `circulation_context` WHERE `id` = 1), NEW.`book_id`, NEW.`id`,
    'Your hold on "' || `title` || '" is ready: collect it by ' || NEW.`pickup_by` || '.'
  FROM `books` WHERE `id` = NEW.`book_id` AND NEW.`user_id` IS NOT NULL;
END;
