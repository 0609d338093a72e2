CREATE INDEX `loans_open_id_idx` ON `loans` (`id`,`deadline`) WHERE "loans"."return_date" IS NULL;--> statement-breakpoint
-- Hand-added: each borrower's loan count ('loans:user:<id>'), so a member's unfiltered list (and
-- an admin's ?user_id=) reads one counter row for its `total` instead of every loan of theirs.
INSERT INTO `counters` (`name`, `value`)
SELECT 'loans:user:' || `user_id`, count(*) FROM `loans` WHERE `user_id` IS NOT NULL GROUP BY `user_id`
ON CONFLICT (`name`) DO UPDATE SET `value` = excluded.`value`;
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
-- Deleting a user sets user_id to NULL on their (returned) loans: their count goes with them.
CREATE TRIGGER `loans_user_count_reassign` AFTER UPDATE OF `user_id` ON `loans`
WHEN OLD.`user_id` IS NOT NEW.`user_id` BEGIN
  UPDATE `counters` SET `value` = `value` - 1 WHERE `name` = 'loans:user:' || OLD.`user_id`;
  INSERT INTO `counters` (`name`, `value`) SELECT 'loans:user:' || NEW.`user_id`, 1 WHERE NEW.`user_id` IS NOT NULL
  ON CONFLICT (`name`) DO UPDATE SET `value` = `value` + 1;
END;
