-- Custom migration (hand-written): the same circulation rules as migration 0006's triggers, with
-- bodies that read fewer rows (D1 bills rows read, rows visited inside triggers included).
--  * A trigger that moves a book's counts raises its `version` in the same UPDATE, so
--    books_version_bump (which would raise it by the same 1 in a second UPDATE) does not fire.
--  * Filling a hold reads the circulation context once (a row-value SET), not three times.
--  * Lending a copy finds the borrower's open hold on the book through the (user, book) index of
--    open holds, not by walking the book's queue.
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
DROP TRIGGER `copies_fill_hold_insert`;
--> statement-breakpoint
CREATE TRIGGER `copies_fill_hold_insert` AFTER INSERT ON `copies` WHEN NEW.`status` = 'available' BEGIN
  UPDATE `holds` SET `status` = 'ready', `copy_id` = NEW.`id`,
    (`ready_on`, `pickup_by`) = (SELECT `today`, date(`today`, '+' || `hold_pickup_days` || ' days') FROM `circulation_context` WHERE `id` = 1)
  WHERE `id` = (SELECT `id` FROM `holds` WHERE `book_id` = NEW.`book_id` AND `status` = 'waiting' ORDER BY `id` LIMIT 1);
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
DROP TRIGGER `loan_books_insert`;
--> statement-breakpoint
CREATE TRIGGER `loan_books_insert` AFTER INSERT ON `loan_books` BEGIN
  UPDATE `copies` SET `status` = 'on_loan', `version` = `version` + 1 WHERE `id` = NEW.`copy_id` AND NEW.`active`;
  UPDATE `holds` SET `status` = 'fulfilled', `closed_on` = (SELECT `today` FROM `circulation_context` WHERE `id` = 1)
  WHERE `id` IN (SELECT h.`id` FROM `holds` h INDEXED BY `holds_one_open_per_user_book`
    WHERE NEW.`active` AND h.`user_id` = (SELECT `user_id` FROM `loans` WHERE `id` = NEW.`loan_id`) AND h.`book_id` = NEW.`book_id`
      AND h.`status` IN ('waiting', 'ready'));
  UPDATE `books` SET `readers` = `readers` + 1
  WHERE `id` = NEW.`book_id` AND NOT EXISTS (
    SELECT 1 FROM `loan_books` WHERE `loan_id` = NEW.`loan_id` AND `book_id` = NEW.`book_id` AND `id` <> NEW.`id`);
END;
