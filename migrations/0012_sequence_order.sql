-- Custom migration: the order of sqlite_sequence's rows, which decides what every insert into an
-- AUTOINCREMENT table costs. SQLite finds the table's counter by reading sqlite_sequence from its
-- first row until the name matches, in every statement that inserts into the table or could
-- through a trigger; D1 bills each row read. The rows were in the order the tables first got a
-- row (d1_migrations, users and books before any loan), so a checkout read five or six of them
-- for `loans` and as many for `loan_books`. The circulation tables go first, in the order of how
-- often they are written: a loan (1 row read), its copies (2), a hold (3), a new copy (4); the
-- others keep their order after them. Nothing else changes: every table keeps its counter, so ids
-- are still never reused. Tables that have never had a row get their counter row now, at its place.
-- A rebuilt table (DROP TABLE) would lose its place; a test pins the order.
CREATE TABLE `sequence_order` (`name` text NOT NULL, `seq` integer NOT NULL, `place` integer NOT NULL);
--> statement-breakpoint
INSERT INTO `sequence_order` (`name`, `seq`, `place`)
SELECT `name`, `seq`, CASE `name` WHEN 'loans' THEN 1 WHEN 'loan_books' THEN 2 WHEN 'holds' THEN 3 WHEN 'copies' THEN 4 ELSE 5 + rowid END
FROM `sqlite_sequence`;
--> statement-breakpoint
INSERT INTO `sequence_order` (`name`, `seq`, `place`)
SELECT 'loans', coalesce((SELECT max(`id`) FROM `loans`), 0), 1 WHERE NOT EXISTS (SELECT 1 FROM `sequence_order` WHERE `name` = 'loans')
UNION ALL
SELECT 'loan_books', coalesce((SELECT max(`id`) FROM `loan_books`), 0), 2 WHERE NOT EXISTS (SELECT 1 FROM `sequence_order` WHERE `name` = 'loan_books')
UNION ALL
SELECT 'holds', coalesce((SELECT max(`id`) FROM `holds`), 0), 3 WHERE NOT EXISTS (SELECT 1 FROM `sequence_order` WHERE `name` = 'holds')
UNION ALL
SELECT 'copies', coalesce((SELECT max(`id`) FROM `copies`), 0), 4 WHERE NOT EXISTS (SELECT 1 FROM `sequence_order` WHERE `name` = 'copies');
--> statement-breakpoint
DELETE FROM `sqlite_sequence`;
--> statement-breakpoint
INSERT INTO `sqlite_sequence` (`name`, `seq`) SELECT `name`, `seq` FROM `sequence_order` ORDER BY `place`;
--> statement-breakpoint
DROP TABLE `sequence_order`;
