CREATE TABLE `books` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`title` text NOT NULL,
	`genre` text NOT NULL,
	`age_category` text NOT NULL,
	`publish_date` text NOT NULL,
	`author` text NOT NULL,
	`readers` integer DEFAULT 0 NOT NULL,
	`on_loan` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `books_title_lower_unique` ON `books` (lower("title"));--> statement-breakpoint
CREATE INDEX `books_popularity_idx` ON `books` ("readers" DESC,`id`);--> statement-breakpoint
CREATE TABLE `counters` (
	`name` text PRIMARY KEY NOT NULL,
	`value` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `loan_books` (
	`loan_id` integer NOT NULL,
	`book_id` integer NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	PRIMARY KEY(`loan_id`, `book_id`),
	FOREIGN KEY (`loan_id`) REFERENCES `loans`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`book_id`) REFERENCES `books`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `loan_books_one_active_loan_per_book` ON `loan_books` (`book_id`) WHERE "loan_books"."active" = 1;--> statement-breakpoint
CREATE INDEX `loan_books_book_idx` ON `loan_books` (`book_id`);--> statement-breakpoint
CREATE TABLE `loans` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer,
	`loan_date` text NOT NULL,
	`deadline` text NOT NULL,
	`return_date` text,
	`renewals` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "loans_renewals_range" CHECK("loans"."renewals" BETWEEN 0 AND 2)
);
--> statement-breakpoint
CREATE INDEX `loans_user_idx` ON `loans` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `loans_open_deadline_idx` ON `loans` (`deadline`,`id`) WHERE "loans"."return_date" IS NULL;--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`first_name` text NOT NULL,
	`last_name` text NOT NULL,
	`email` text NOT NULL,
	`password_hash` text NOT NULL,
	`dob` text,
	`address` text,
	`role` text DEFAULT 'member' NOT NULL,
	CONSTRAINT "users_email_lower" CHECK("users"."email" = lower("users"."email")),
	CONSTRAINT "users_role_valid" CHECK("users"."role" IN ('member', 'admin'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);