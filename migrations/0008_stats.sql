-- Custom migration (hand-written): the counters behind GET /stats that no earlier trigger keeps,
-- so the statistics read a few counter rows, never the tables. Backfilled from the data as it stands.
-- `open_loans`: loans not returned (overdue included).
INSERT INTO `counters` (`name`, `value`) VALUES ('open_loans', (SELECT count(*) FROM `loans` WHERE `return_date` IS NULL))
  ON CONFLICT (`name`) DO UPDATE SET `value` = excluded.`value`;
--> statement-breakpoint
CREATE TRIGGER `stats_open_loans_insert` AFTER INSERT ON `loans` WHEN NEW.`return_date` IS NULL BEGIN
  UPDATE `counters` SET `value` = `value` + 1 WHERE `name` = 'open_loans';
END;
--> statement-breakpoint
CREATE TRIGGER `stats_open_loans_update` AFTER UPDATE OF `return_date` ON `loans`
WHEN (OLD.`return_date` IS NULL) <> (NEW.`return_date` IS NULL) BEGIN
  UPDATE `counters` SET `value` = `value` + (NEW.`return_date` IS NULL) - (OLD.`return_date` IS NULL) WHERE `name` = 'open_loans';
END;
--> statement-breakpoint
CREATE TRIGGER `stats_open_loans_delete` AFTER DELETE ON `loans` WHEN OLD.`return_date` IS NULL BEGIN
  UPDATE `counters` SET `value` = `value` - 1 WHERE `name` = 'open_loans';
END;
--> statement-breakpoint
-- `balance_total_cents`: fines and charges not yet paid or waived, over every account: the sum of
-- the per-patron balances that migration 0007's trigger keeps, moved by the same writes.
INSERT INTO `counters` (`name`, `value`) VALUES ('balance_total_cents', (SELECT coalesce(sum(`balance_cents`), 0) FROM `account_balances`))
  ON CONFLICT (`name`) DO UPDATE SET `value` = excluded.`value`;
--> statement-breakpoint
CREATE TRIGGER `stats_balance_update` AFTER UPDATE OF `balance_cents` ON `account_balances`
WHEN NEW.`balance_cents` <> OLD.`balance_cents` BEGIN
  UPDATE `counters` SET `value` = `value` + NEW.`balance_cents` - OLD.`balance_cents` WHERE `name` = 'balance_total_cents';
END;
--> statement-breakpoint
CREATE TRIGGER `stats_balance_delete` AFTER DELETE ON `account_balances` WHEN OLD.`balance_cents` <> 0 BEGIN
  UPDATE `counters` SET `value` = `value` - OLD.`balance_cents` WHERE `name` = 'balance_total_cents';
END;
