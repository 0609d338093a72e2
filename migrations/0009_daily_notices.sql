-- Hand-written (the lead reconciles drizzle's snapshot and journal).
-- Patron blocks count a patron's copies out through their OPEN loans only: a long history of
-- returned loans is not read.
CREATE INDEX `loans_open_user_idx` ON `loans` (`user_id`,`deadline`) WHERE "loans"."return_date" IS NULL;
