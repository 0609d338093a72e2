ALTER TABLE `books` ADD `isbn` text;--> statement-breakpoint
CREATE UNIQUE INDEX `books_isbn_unique` ON `books` (`isbn`) WHERE "books"."isbn" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `users_admin_idx` ON `users` (`id`) WHERE "users"."role" = 'admin';--> statement-breakpoint
-- Hand-added: the service never loses its last admin. Each demotion or deletion of an admin is
-- refused when no other admin remains; D1 runs writes one at a time, so of two admins demoting
-- each other at once the second finds itself alone and is refused. The app maps the message
-- 'LAST_ADMIN' to 409 LAST_ADMIN (src/db/errors.ts).
CREATE TRIGGER `users_last_admin_demote` BEFORE UPDATE OF `role` ON `users`
WHEN OLD.`role` = 'admin' AND NEW.`role` <> 'admin'
  AND NOT EXISTS (SELECT 1 FROM `users` WHERE `role` = 'admin' AND `id` <> OLD.`id`) BEGIN
  SELECT RAISE(ABORT, 'LAST_ADMIN');
END;
--> statement-breakpoint
CREATE TRIGGER `users_last_admin_delete` BEFORE DELETE ON `users`
WHEN OLD.`role` = 'admin'
  AND NOT EXISTS (SELECT 1 FROM `users` WHERE `role` = 'admin' AND `id` <> OLD.`id`) BEGIN
  SELECT RAISE(ABORT, 'LAST_ADMIN');
END;
