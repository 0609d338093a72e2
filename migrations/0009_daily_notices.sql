-- Hand-written (the lead reconciles drizzle's snapshot and journal).
-- Patron blocks count a patron's copies out through their OPEN loans only: a long history of
-- returned loans is not read.
CREATE INDEX `loans_open_user_idx` ON `loans` (`user_id`,`deadline`) WHERE "loans"."return_date" IS NULL;--> statement-breakpoint
-- The daily job reads only what is due: ready holds by pickup date, and (already) open loans by
-- deadline through loans_open_deadline_idx.
CREATE INDEX `holds_ready_pickup_idx` ON `holds` (`pickup_by`, `id`) WHERE `status` = 'ready';--> statement-breakpoint
-- Loan notices are written once per (loan, kind, deadline): the deadline they were about is kept,
-- and a unique index makes a second run (or a racing one) insert nothing.
ALTER TABLE `notices` ADD `due_on` text;--> statement-breakpoint
CREATE UNIQUE INDEX `notices_loan_once` ON `notices` (`loan_id`, `kind`, `due_on`) WHERE `due_on` IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `notices_hold_expired_once` ON `notices` (`hold_id`) WHERE `kind` = 'hold_expired';
