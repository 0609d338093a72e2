-- State derived from other rows, kept current by triggers in the same write,
-- so that reads touch O(page) rows instead of aggregating.

-- Row counts behind every unfiltered page's `total`.
INSERT INTO `counters` (`name`, `value`) VALUES ('users', 0), ('books', 0), ('loans', 0);
--> statement-breakpoint
CREATE TRIGGER `users_count_insert` AFTER INSERT ON `users` BEGIN
  UPDATE `counters` SET `value` = `value` + 1 WHERE `name` = 'users';
END;
--> statement-breakpoint
CREATE TRIGGER `users_count_delete` AFTER DELETE ON `users` BEGIN
  UPDATE `counters` SET `value` = `value` - 1 WHERE `name` = 'users';
END;
--> statement-breakpoint
CREATE TRIGGER `books_count_insert` AFTER INSERT ON `books` BEGIN
  UPDATE `counters` SET `value` = `value` + 1 WHERE `name` = 'books';
END;
--> statement-breakpoint
CREATE TRIGGER `books_count_delete` AFTER DELETE ON `books` BEGIN
  UPDATE `counters` SET `value` = `value` - 1 WHERE `name` = 'books';
END;
--> statement-breakpoint
CREATE TRIGGER `loans_count_insert` AFTER INSERT ON `loans` BEGIN
  UPDATE `counters` SET `value` = `value` + 1 WHERE `name` = 'loans';
END;
--> statement-breakpoint
CREATE TRIGGER `loans_count_delete` AFTER DELETE ON `loans` BEGIN
  UPDATE `counters` SET `value` = `value` - 1 WHERE `name` = 'loans';
END;
--> statement-breakpoint

-- books.readers (loans ever holding the book, for popularity) and
-- books.on_loan (for `available`), from loan_books.
CREATE TRIGGER `loan_books_insert` AFTER INSERT ON `loan_books` BEGIN
  UPDATE `books` SET `readers` = `readers` + 1, `on_loan` = (`on_loan` OR NEW.`active`)
  WHERE `id` = NEW.`book_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `loan_books_active_update` AFTER UPDATE OF `active` ON `loan_books`
WHEN OLD.`active` <> NEW.`active` BEGIN
  UPDATE `books` SET `on_loan` = NEW.`active` WHERE `id` = NEW.`book_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `loan_books_delete` AFTER DELETE ON `loan_books` BEGIN
  UPDATE `books` SET `readers` = `readers` - 1,
    `on_loan` = CASE WHEN OLD.`active` THEN 0 ELSE `on_loan` END
  WHERE `id` = OLD.`book_id`;
END;
--> statement-breakpoint

-- Substring search on title, author and genre. The trigram tokenizer matches
-- case-insensitive substrings of three or more characters, the contract's
-- semantics, through an index; user text is always bound as a quoted phrase.
CREATE VIRTUAL TABLE `books_fts` USING fts5(
  `title`, `author`, `genre`,
  content = 'books', content_rowid = 'id', tokenize = 'trigram'
);
--> statement-breakpoint
CREATE TRIGGER `books_fts_insert` AFTER INSERT ON `books` BEGIN
  INSERT INTO `books_fts` (`rowid`, `title`, `author`, `genre`)
  VALUES (NEW.`id`, NEW.`title`, NEW.`author`, NEW.`genre`);
END;
--> statement-breakpoint
CREATE TRIGGER `books_fts_delete` AFTER DELETE ON `books` BEGIN
  INSERT INTO `books_fts` (`books_fts`, `rowid`, `title`, `author`, `genre`)
  VALUES ('delete', OLD.`id`, OLD.`title`, OLD.`author`, OLD.`genre`);
END;
--> statement-breakpoint
CREATE TRIGGER `books_fts_update` AFTER UPDATE OF `title`, `author`, `genre` ON `books` BEGIN
  INSERT INTO `books_fts` (`books_fts`, `rowid`, `title`, `author`, `genre`)
  VALUES ('delete', OLD.`id`, OLD.`title`, OLD.`author`, OLD.`genre`);
  INSERT INTO `books_fts` (`rowid`, `title`, `author`, `genre`)
  VALUES (NEW.`id`, NEW.`title`, NEW.`author`, NEW.`genre`);
END;
