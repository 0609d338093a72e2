-- Custom migration: the circulation context keeps its own copy of the policy's hold pickup period,
-- kept equal to it by a trigger on the policy row. Every circulation write used to copy it over
-- itself in its first statement, reading the policy row for it (one row per write, D1 bills it);
-- now that statement writes only the date, the time and the actor. The policy row changes rarely
-- (PUT/PATCH /policy), and the trigger runs in the same statement as the change, so a hold made
-- ready in any later write still gets the pickup period in force.
UPDATE `circulation_context` SET `hold_pickup_days` = (SELECT `hold_pickup_days` FROM `policy` WHERE `id` = 1) WHERE `id` = 1;
--> statement-breakpoint
CREATE TRIGGER `policy_pickup_days_to_context` AFTER UPDATE OF `hold_pickup_days` ON `policy` BEGIN
  UPDATE `circulation_context` SET `hold_pickup_days` = NEW.`hold_pickup_days` WHERE `id` = 1;
END;
