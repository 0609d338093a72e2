-- Custom migration (hand-written): the counters behind GET /stats that no earlier trigger keeps,
-- so the statistics read a few counter rows, never the tables. Backfilled from the data as it stands.
-- `loans_open`: loans not returned (overdue included).
INSERT INTO `counters` (`name`, `value`) VALUES ('loans_open', (SELECT count(*) FROM `loans` WHERE `return_date` IS NULL))
  ON CONFLICT (`name`) DO UPDATE SET `value` = excluded.`value`;
--> statement-breakpoint
CREATE TRIGGER `stats_loans_open_insert` AFTER INSERT ON `loans` WHEN NEW.`return_date` IS NULL BEGIN
  UPDATE `counters` SET `value` = `value` + 1 WHERE `name` = 'loans_open';
END;
--> statement-breakpoint
CREATE TRIGGER `stats_loans_open_update` AFTER UPDATE OF `return_date` ON `loans`
WHEN (OLD.`return_date` IS NULL) <> (NEW.`return_date` IS NULL) BEGIN
  UPDATE `counters` SET `value` = `value` + (NEW.`return_date` IS NULL) - (OLD.`return_date` IS NULL) WHERE `name` = 'loans_open';
END;
--> statement-breakpoint
CREATE TRIGGER `stats_loans_open_delete` AFTER DELETE ON `loans` WHEN OLD.`return_date` IS NULL BEGIN
  UPDATE `counters` SET `value` = `value` - 1 WHERE `name` = 'loans_open';
END;
