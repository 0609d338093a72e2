// Deterministic demo data for `npm run seed` and `npm run bench`: the same options (and the
// same day) always give the same rows, as bounded multi-row SQL statements with explicit ids.
//
// Invariants kept (the schema's and the contract's):
// - titles unique case-insensitively, emails lower-case and unique;
// - a book is on at most one loan whose return_date is NULL; loan_books.active = 1 exactly for
//   the rows of such loans (returned loans keep their rows with active = 0);
// - deadline = loan_date + 14 days per renewal (+ the first 14), renewals 0..2;
//   active loans have deadline >= today, overdue ones deadline < today, returned ones a
//   return_date between loan_date and today.
// - popular titles have several copies (barcode `C` + the copy id on 8 digits); an open loan holds
//   each book's first copy, so a popular title out on loan still has copies on the shelf;
// - holds wait only on single-copy books that are out, by members without that book out, at most
//   one open hold per member and book (none is ready: nothing sits on the hold shelf).
// books.readers and the book counts (copies, available_copies, holds_waiting), the counters table
// and books_fts are left to the triggers of migrations/0001 and 0006 (the counters are re-derived
// at the end anyway, in case they had drifted).

export interface SeedOptions {
  books: number;
  loans: number;
  members: number;
  /** Stored hash shared by every demo member (hash once; the salt makes each call differ). */
  memberHash: string;
  adminHash: string;
  /** YYYY-MM-DD (UTC) the loan statuses are relative to; default today. */
  today?: string;
}

export const ADMIN_EMAIL = 'admin@library.example';
export const ADMIN_PASSWORD = 'admin-demo-password';
export const MEMBER_PASSWORD = 'member-demo-password';

export const DEFAULTS = { books: 300, loans: 200, members: 20 } as const;

/** Bounds for one INSERT: at most this many rows and roughly this many bytes of SQL. */
const MAX_ROWS = 500;
const MAX_BYTES = 90_000;

// ---------------------------------------------------------------------------------------------
// Randomness: a small seeded PRNG, so two runs produce identical data.

export type Random = () => number;

export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rnd: Random, min: number, max: number) => min + Math.floor(rnd() * (max - min + 1));
const pick = <T>(rnd: Random, list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
const withArticle = (phrase: string) => `${/^[AEIOU]/.test(phrase) ? "An" : "A"} ${phrase}`;

function weighted<T>(rnd: Random, entries: readonly (readonly [T, number])[]): T {
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let r = rnd() * total;
  for (const [value, w] of entries) {
    r -= w;
    if (r < 0) return value;
  }
  return entries[entries.length - 1]![0];
}

function shuffle<T>(rnd: Random, list: T[]): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// Dates, as whole UTC days.

const DAY_MS = 86_400_000;
const toDay = (iso: string) => Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
const fromDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
export const todayUtc = () => new Date().toISOString().slice(0, 10);

// ---------------------------------------------------------------------------------------------
// Word lists.

const FIRST_NAMES = [
  'Amara', 'Ben', 'Chloe', 'Dmitri', 'Elena', 'Farid', 'Grace', 'Hiro', 'Isla', 'Jonas', 'Kavya', 'Liam',
  'Maya', 'Nikolai', 'Olivia', 'Pablo', 'Quinn', 'Rosa', 'Samuel', 'Tara', 'Umar', 'Vera', 'William',
  'Ximena', 'Yusuf', 'Zoe', 'Ada', 'Bruno', 'Clara', 'Diego', 'Esther', 'Felix', 'Greta', 'Hugo', 'Ines',
  'Jamal', 'Keiko', 'Lucas', 'Mei', 'Noah', 'Oskar', 'Priya', 'Rafael', 'Sofia', 'Theo', 'Ursula', 'Victor',
  'Wanda', 'Yara', 'Zane',
] as const;

const LAST_NAMES = [
  'Okafor', 'Lindqvist', 'Moreau', 'Petrov', 'Garcia', 'Haddad', 'Nakamura', 'Fraser', 'Becker', 'Iyer',
  'Walsh', 'Costa', 'Novak', 'Oduya', 'Hughes', 'Rossi', 'Larsen', 'Mendes', 'Kowalski', 'Bauer', 'Silva',
  'Tanaka', 'Murphy', 'Dubois', 'Ahmed', 'Jensen', 'Kim', 'Schmidt', 'Brennan', 'Varga', 'Quist',
  'Abara', 'Ellison', 'Fontaine', 'Grieve', 'Holloway', 'Ingram', 'Jovanovic', 'Keller', 'Marsh',
] as const;

const STREETS = [
  'Mill Lane', 'Church Street', 'Station Road', 'Orchard Way', 'Harbour View', 'Elm Grove', 'Market Square',
  'Kingfisher Close', 'Willow Crescent', 'Beacon Hill', 'Riverside Walk', 'Foundry Row',
] as const;

const TOWNS = ['Ashford', 'Bramley', 'Coldwater', 'Dunmore', 'Eastleigh', 'Fairhaven', 'Greystone', 'Hollins'] as const;

const ADJECTIVES = [
  'Silent', 'Hidden', 'Last', 'Broken', 'Golden', 'Forgotten', 'Crimson', 'Distant', 'Wild', 'Secret',
  'Burning', 'Quiet', 'Endless', 'Lost', 'Hollow', 'Bright', 'Midnight', 'Winter', 'Summer', 'Iron',
  'Glass', 'Paper', 'Sleeping', 'Restless', 'Little', 'Shining', 'Bitter', 'Gentle', 'Falling', 'Northern',
  'Southern', 'Ancient', 'Second', 'Invisible', 'Painted', 'Drowned', 'Velvet', 'Salt', 'Copper', 'Emerald',
  'Wandering', 'Borrowed', 'Stolen', 'Unfinished', 'Long', 'Curious', 'Brave', 'Scarlet', 'Silver', 'Shadowed',
] as const;

const NOUNS = [
  'Garden', 'River', 'House', 'Mountain', 'Lighthouse', 'Letter', 'Orchard', 'Station', 'Harbour', 'Forest',
  'Library', 'Island', 'Kingdom', 'Clock', 'Mirror', 'Bridge', 'Tide', 'Crown', 'Road', 'Winter',
  'Map', 'Storm', 'Archive', 'Violin', 'Compass', 'Lantern', 'Fox', 'Raven', 'Wolf', 'Sparrow',
  'Ocean', 'Desert', 'City', 'Tower', 'Valley', 'Meadow', 'Shore', 'Orchid', 'Engine', 'Journey',
  'Secret', 'Promise', 'Empire', 'Frontier', 'Voyage', 'Daughter', 'Stranger', 'Gardener', 'Cartographer', 'Keeper',
  'Thief', 'Widow', 'Apprentice', 'Queen', 'Astronomer', 'Physician', 'Detective', 'Pilot', 'Inventor', 'Sailor',
] as const;

const PLACES = [
  'Paris', 'the North', 'Kyoto', 'the Valley', 'Lisbon', 'the Marsh', 'Alexandria', 'the Deep', 'Samarkand',
  'Venice', 'the Highlands', 'Prague', 'the Steppe', 'Havana', 'Cairo', 'the Fens', 'Zanzibar', 'Tangier',
] as const;

const TIMES = ['Midsummer', 'Dawn', 'Dusk', 'the Long Night', 'the Thaw', 'the Harvest', 'the Flood', 'the Eclipse'] as const;

const SUBJECTS = [
  'Bees', 'Rivers', 'Bread', 'Memory', 'Mathematics', 'the Moon', 'Coffee', 'Cities', 'Birds', 'Trees',
  'Maps', 'Language', 'Stars', 'Salt', 'Music', 'Sleep', 'Glass', 'Rain', 'Chess', 'Gardens',
] as const;

const ROMAN = ['II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X'] as const;

const GENRES = [
  ['Fiction', 16],
  ['Mystery', 10],
  ['Science fiction', 9],
  ['Fantasy', 9],
  ['Romance', 7],
  ['Thriller', 7],
  ['Historical fiction', 7],
  ['Horror', 4],
  ['Biography', 6],
  ['History', 7],
  ['Science', 6],
  ['Poetry', 3],
  ['Travel', 3],
  ['Philosophy', 2],
  ['Cookery', 2],
  ['Graphic novel', 2],
] as const;

const NON_FICTION = new Set(['Biography', 'History', 'Science', 'Travel', 'Philosophy', 'Cookery']);

const AGE_CATEGORIES = [
  ['Adult', 60],
  ['Young adult', 20],
  ['Children', 15],
  ['Middle grade', 5],
] as const;

// ---------------------------------------------------------------------------------------------
// SQL writing.

type Literal = string | number | null;

export const sqlLiteral = (value: Literal): string =>
  value === null ? 'NULL' : typeof value === 'number' ? String(value) : `'${value.replaceAll("'", "''")}'`;

/** Multi-row INSERTs of at most MAX_ROWS rows and about MAX_BYTES bytes each. */
export function* insertStatements(table: string, columns: readonly string[], rows: Iterable<readonly Literal[]>): Generator<string> {
  const head = `INSERT INTO ${table} (${columns.join(', ')}) VALUES\n`;
  let batch: string[] = [];
  let bytes = head.length;
  for (const row of rows) {
    const tuple = `(${row.map(sqlLiteral).join(', ')})`;
    if (batch.length > 0 && (batch.length >= MAX_ROWS || bytes + tuple.length + 2 > MAX_BYTES)) {
      yield `${head}${batch.join(',\n')};`;
      batch = [];
      bytes = head.length;
    }
    batch.push(tuple);
    bytes += tuple.length + 2;
  }
  if (batch.length > 0) yield `${head}${batch.join(',\n')};`;
}

// ---------------------------------------------------------------------------------------------
// The data.

export interface SeedUser {
  id: number;
  first_name: string;
  last_name: string;
  email: string;
  password_hash: string;
  dob: string | null;
  address: string | null;
  role: 'member' | 'admin';
}

export interface SeedBook {
  id: number;
  title: string;
  genre: string;
  age_category: string;
  publish_date: string;
  author: string;
}

export interface SeedLoan {
  id: number;
  user_id: number | null;
  loan_date: string;
  deadline: string;
  return_date: string | null;
  renewals: number;
  book_ids: number[];
}

export interface SeedCopy {
  id: number;
  book_id: number;
  barcode: string;
}

export interface SeedHold {
  id: number;
  user_id: number;
  book_id: number;
  placed_on: string;
}

export interface SeedData {
  users: SeedUser[];
  books: SeedBook[];
  copies: SeedCopy[];
  loans: SeedLoan[];
  holds: SeedHold[];
  /** The first copy of each book: the one open loans hold. */
  firstCopy: Map<number, number>;
  /** The first member, for the printed login example. */
  demoMember: SeedUser;
  stats: { active: number; overdue: number; returned: number; loanBooks: number; booksOnLoan: number; copies: number; holds: number };
}

function makeTitle(rnd: Random, genre: string): string {
  if (NON_FICTION.has(genre)) {
    return weighted(rnd, [
      [() => `A Short History of ${pick(rnd, SUBJECTS)}`, 3],
      [() => `The ${pick(rnd, NOUNS)} and the ${pick(rnd, NOUNS)}: ${pick(rnd, SUBJECTS)} in ${pick(rnd, PLACES)}`, 2],
      [() => `On ${pick(rnd, SUBJECTS)}`, 1],
      [() => `${pick(rnd, SUBJECTS)}: ${withArticle(`${pick(rnd, ADJECTIVES)} Life`)}`, 2],
      [() => `The ${pick(rnd, ADJECTIVES)} ${pick(rnd, NOUNS)}: Notes on ${pick(rnd, SUBJECTS)}`, 3],
      [() => `Letters from ${pick(rnd, PLACES)}`, 1],
    ] as const)();
  }
  return weighted(rnd, [
    [() => `The ${pick(rnd, ADJECTIVES)} ${pick(rnd, NOUNS)}`, 5],
    [() => `The ${pick(rnd, NOUNS)} of ${pick(rnd, PLACES)}`, 3],
    [() => withArticle(`${pick(rnd, NOUNS)} at ${pick(rnd, TIMES)}`), 2],
    [() => `The ${pick(rnd, NOUNS)}'s ${pick(rnd, NOUNS)}`, 3],
    [() => `${pick(rnd, ADJECTIVES)} ${pick(rnd, NOUNS)}s`, 2],
    [() => `The ${pick(rnd, ADJECTIVES)} ${pick(rnd, NOUNS)} of ${pick(rnd, PLACES)}`, 4],
    [() => `When the ${pick(rnd, NOUNS)} Comes`, 1],
  ] as const)();
}

function uniqueTitle(rnd: Random, genre: string, taken: Set<string>): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const title = makeTitle(rnd, genre);
    if (!taken.has(title.toLowerCase())) return title;
  }
  // A series: "The Silent Garden II", "... III", then numbered volumes.
  const base = makeTitle(rnd, genre);
  for (const suffix of [...ROMAN, ...Array.from({ length: 10_000 }, (_, i) => `Volume ${i + 11}`)]) {
    const title = `${base} ${suffix}`;
    if (!taken.has(title.toLowerCase())) return title;
  }
  throw new Error('could not find a unique title');
}

export function generateSeed(options: SeedOptions): SeedData {
  const rnd = mulberry32(0x1b5a11);
  const today = toDay(options.today ?? todayUtc());

  // Users: the admin is id 1, members 2..members+1.
  const users: SeedUser[] = [
    {
      id: 1,
      first_name: 'Library',
      last_name: 'Admin',
      email: ADMIN_EMAIL,
      password_hash: options.adminHash,
      dob: null,
      address: null,
      role: 'admin',
    },
  ];
  const emails = new Set<string>([ADMIN_EMAIL]);
  for (let i = 0; i < options.members; i++) {
    const first = FIRST_NAMES[i % FIRST_NAMES.length]!;
    const last = LAST_NAMES[(i * 7 + Math.floor(i / FIRST_NAMES.length)) % LAST_NAMES.length]!;
    let email = `${first}.${last}@library.example`.toLowerCase();
    for (let n = 2; emails.has(email); n++) email = `${first}.${last}${n}@library.example`.toLowerCase();
    emails.add(email);
    users.push({
      id: i + 2,
      first_name: first,
      last_name: last,
      email,
      password_hash: options.memberHash,
      dob: fromDay(toDay('1945-01-01') + int(rnd, 0, 365 * 62)),
      address: rnd() < 0.85 ? `${int(rnd, 1, 220)} ${pick(rnd, STREETS)}, ${pick(rnd, TOWNS)}` : null,
      role: 'member',
    });
  }

  // Authors: a fixed pool, so several books share an author (as in a real catalogue).
  const authorCount = Math.max(10, Math.ceil(options.books / 6));
  const authors = Array.from({ length: Math.min(authorCount, FIRST_NAMES.length * LAST_NAMES.length) }, (_, i) => {
    const first = FIRST_NAMES[(i * 13) % FIRST_NAMES.length]!;
    const last = LAST_NAMES[(i + Math.floor(i / FIRST_NAMES.length) * 3) % LAST_NAMES.length]!;
    const initial = rnd() < 0.25 ? ` ${String.fromCharCode(65 + int(rnd, 0, 25))}.` : '';
    return `${first}${initial} ${last}`;
  });

  const books: SeedBook[] = [];
  const titles = new Set<string>();
  const earliest = toDay('1850-01-01');
  for (let i = 0; i < options.books; i++) {
    const genre = weighted(rnd, GENRES);
    const title = uniqueTitle(rnd, genre, titles);
    titles.add(title.toLowerCase());
    // Skewed toward recent decades; never in the future.
    const age = Math.floor(Math.pow(rnd(), 2.5) * (today - earliest));
    books.push({
      id: i + 1,
      title,
      genre,
      age_category: genre === 'Graphic novel' || NON_FICTION.has(genre) ? weighted(rnd, [['Adult', 3], ['Young adult', 1]] as const) : weighted(rnd, AGE_CATEGORIES),
      publish_date: fromDay(today - age),
      author: pick(rnd, authors),
    });
  }

  // Loans. A popularity order makes some books far more borrowed than others.
  const popularity = shuffle(rnd, books.map((b) => b.id));
  const popularBook = () => popularity[Math.floor(Math.pow(rnd(), 2.2) * popularity.length)]!;
  const memberIds = users.filter((u) => u.role === 'member').map((u) => u.id);
  const borrower = () => (memberIds.length === 0 ? null : memberIds[Math.floor(Math.pow(rnd(), 1.6) * memberIds.length)]!);
  const bookCount = () => weighted(rnd, [[1, 60], [2, 28], [3, 12]] as const);

  // Open loans (active or overdue) take their books from a pool no other open loan uses; at most
  // ~40% of the catalogue is out at once, and about 12% of loans are open.
  const free = shuffle(rnd, books.map((b) => b.id));
  const maxOnLoan = Math.floor(books.length * 0.4);
  let onLoan = 0;
  const openTarget = Math.round(options.loans * 0.12);

  type Draft = Omit<SeedLoan, 'id'>;
  const drafts: Draft[] = [];
  for (let i = 0; i < options.loans; i++) {
    const renewals = weighted(rnd, [[0, 70], [1, 20], [2, 10]] as const);
    const period = 14 * (renewals + 1);
    let count = Math.min(bookCount(), books.length);
    const open = i < openTarget && count > 0 && onLoan + count <= maxOnLoan && memberIds.length > 0;
    if (open) {
      const overdue = rnd() < 0.3;
      // Active: deadline >= today. Overdue: deadline 1..60 days ago.
      const loanDay = overdue ? today - period - int(rnd, 1, 60) : today - int(rnd, 0, period - 1);
      const bookIds = free.splice(0, count);
      onLoan += bookIds.length;
      drafts.push({
        user_id: borrower(),
        loan_date: fromDay(loanDay),
        deadline: fromDay(loanDay + period),
        return_date: null,
        renewals,
        book_ids: bookIds,
      });
      continue;
    }
    // Returned: borrowed within the last two years, returned by today (some late).
    const loanDay = today - int(rnd, 2, 730);
    const returnDay = Math.min(today, loanDay + int(rnd, 1, period + 10));
    const bookIds = new Set<number>();
    count = Math.min(count, books.length);
    while (bookIds.size < count) bookIds.add(popularBook());
    drafts.push({
      // ~2% belong to since-deleted accounts (user_id NULL), as the contract keeps them.
      user_id: rnd() < 0.02 ? null : borrower(),
      loan_date: fromDay(loanDay),
      deadline: fromDay(loanDay + period),
      return_date: fromDay(returnDay),
      renewals,
      book_ids: [...bookIds].sort((a, b) => a - b),
    });
  }
  // Ids in borrowing order, as the API would have assigned them.
  const loans = drafts
    .map((d, i) => ({ d, i }))
    .sort((a, b) => (a.d.loan_date < b.d.loan_date ? -1 : a.d.loan_date > b.d.loan_date ? 1 : a.i - b.i))
    .map(({ d }, i) => ({ id: i + 1, ...d }));

  // Copies: the most borrowed 5% of titles get three, the next 10% two, the rest one.
  const copyCount = new Map<number, number>();
  popularity.forEach((bookId, rank) => copyCount.set(bookId, rank < popularity.length * 0.05 ? 3 : rank < popularity.length * 0.15 ? 2 : 1));
  const copies: SeedCopy[] = [];
  const firstCopy = new Map<number, number>();
  for (const book of books) {
    for (let k = 0; k < (copyCount.get(book.id) ?? 1); k++) {
      const id = copies.length + 1;
      if (k === 0) firstCopy.set(book.id, id);
      copies.push({ id, book_id: book.id, barcode: `C${String(id).padStart(8, '0')}` });
    }
  }

  // Holds: about one per 50 loans (at least a few), queued on single-copy books that are out.
  const todayIso = fromDay(today);
  const holds: SeedHold[] = [];
  const outSingle = shuffle(
    rnd,
    loans.filter((l) => l.return_date === null).flatMap((l) => l.book_ids.filter((b) => copyCount.get(b) === 1).map((b) => [b, l] as const)),
  );
  const holdTarget = outSingle.length === 0 || memberIds.length < 2 ? 0 : Math.max(5, Math.round(options.loans / 50));
  const holding = new Set<string>();
  for (let attempt = 0; holds.length < holdTarget && attempt < holdTarget * 10; attempt++) {
    const [bookId, loan] = outSingle[attempt % outSingle.length]!;
    const userId = memberIds[int(rnd, 0, memberIds.length - 1)]!;
    const key = `${userId}:${bookId}`;
    if (userId === loan.user_id || holding.has(key)) continue;
    holding.add(key);
    holds.push({ id: 0, user_id: userId, book_id: bookId, placed_on: fromDay(toDay(loan.loan_date) + int(rnd, 0, Math.max(0, today - toDay(loan.loan_date)))) });
  }
  // Ids in placing order, as the API would have assigned them.
  holds.sort((a, b) => (a.placed_on < b.placed_on ? -1 : a.placed_on > b.placed_on ? 1 : 0)).forEach((h, i) => (h.id = i + 1));

  const stats = { active: 0, overdue: 0, returned: 0, loanBooks: 0, booksOnLoan: onLoan, copies: copies.length, holds: holds.length };
  for (const loan of loans) {
    stats.loanBooks += loan.book_ids.length;
    if (loan.return_date !== null) stats.returned++;
    else if (loan.deadline < todayIso) stats.overdue++;
    else stats.active++;
  }

  return { users, books, copies, loans, holds, firstCopy, demoMember: users[1] ?? users[0]!, stats };
}

/**
 * Removes everything the seed owns (all users, books and loans), children first. The database
 * refuses to lose its last admin (migrations/0005), so the old users are first moved aside
 * (negative ids, emails prefixed so the demo ones are free) and deleted once the demo admin exists.
 */
export const RESET_STATEMENTS = [
  // The triggers record the seed's rows as events (copies, loans, holds created): acted by nobody,
  // at the time of seeding, like the daily job's.
  `INSERT INTO circulation_context (id, today, now, actor_id, hold_pickup_days)
   VALUES (1, date('now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, (SELECT hold_pickup_days FROM policy WHERE id = 1))
   ON CONFLICT (id) DO UPDATE SET today = excluded.today, now = excluded.now, actor_id = NULL, hold_pickup_days = excluded.hold_pickup_days;`,
  'DELETE FROM notices;',
  'DELETE FROM holds;',
  'DELETE FROM loan_books;',
  'DELETE FROM loans;',
  'DELETE FROM copies;',
  'DELETE FROM books;',
  "UPDATE users SET id = -id, email = 'replaced-' || id || '-' || email WHERE id > 0;",
] as const;

const DROP_REPLACED_USERS = 'DELETE FROM users WHERE id < 0;';

/** Counters recomputed from the tables, in case they ever drifted from the triggers. */
export const FINAL_STATEMENTS = [
  `UPDATE counters SET value = (SELECT count(*) FROM users) WHERE name = 'users';`,
  `UPDATE counters SET value = (SELECT count(*) FROM books) WHERE name = 'books';`,
  `UPDATE counters SET value = (SELECT count(*) FROM loans) WHERE name = 'loans';`,
  `UPDATE counters SET value = (SELECT count(*) FROM copies WHERE status <> 'withdrawn') WHERE name = 'copies';`,
  `UPDATE counters SET value = (SELECT count(*) FROM copies WHERE status = 'available') WHERE name = 'available_copies';`,
  `UPDATE counters SET value = (SELECT count(*) FROM holds WHERE status = 'waiting') WHERE name = 'holds_waiting';`,
  `UPDATE counters SET value = (SELECT count(*) FROM holds WHERE status = 'ready') WHERE name = 'holds_ready';`,
] as const;

/** Inserts for `data`, parents before children; the triggers derive readers, the book counts, copy statuses and FTS. */
export function* insertAll(data: SeedData): Generator<string> {
  yield* insertStatements(
    'users',
    ['id', 'first_name', 'last_name', 'email', 'password_hash', 'dob', 'address', 'role'],
    data.users.map((u) => [u.id, u.first_name, u.last_name, u.email, u.password_hash, u.dob, u.address, u.role]),
  );
  yield* insertStatements(
    'books',
    ['id', 'title', 'genre', 'age_category', 'publish_date', 'author'],
    data.books.map((b) => [b.id, b.title, b.genre, b.age_category, b.publish_date, b.author]),
  );
  yield* insertStatements(
    'copies',
    ['id', 'book_id', 'barcode'],
    data.copies.map((c) => [c.id, c.book_id, c.barcode]),
  );
  yield* insertStatements(
    'loans',
    ['id', 'user_id', 'loan_date', 'deadline', 'return_date', 'renewals'],
    data.loans.map((l) => [l.id, l.user_id, l.loan_date, l.deadline, l.return_date, l.renewals]),
  );
  yield* insertStatements(
    'loan_books',
    ['loan_id', 'book_id', 'copy_id', 'active', 'return_date'],
    (function* () {
      for (const loan of data.loans) {
        for (const bookId of loan.book_ids) {
          yield [loan.id, bookId, data.firstCopy.get(bookId)!, loan.return_date === null ? 1 : 0, loan.return_date] as const;
        }
      }
    })(),
  );
  yield* insertStatements(
    'holds',
    ['id', 'user_id', 'book_id', 'status', 'placed_on'],
    data.holds.map((h) => [h.id, h.user_id, h.book_id, 'waiting', h.placed_on]),
  );
}

/** A trigger that refuses DELETE on an append-only table, as the database has it. */
export interface DeleteGuard {
  name: string;
  sql: string;
}

/** Reads the database's guards on events and holds (their CREATE TRIGGER text); an older schema has fewer. */
export const DELETE_GUARDS_QUERY =
  "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ('events_no_delete', 'holds_no_delete') ORDER BY name";

/**
 * The whole seed as statements: reset, inserts, counters. The seed replaces the data, and reuses
 * its ids, so the old event record (which would name the new rows' ids) is cleared as well: the
 * guards that make events and holds append-only, `guards` as the database has them, are lifted
 * for the reset and put back before anything is inserted.
 */
export function* seedStatements(data: SeedData, guards: DeleteGuard[] = []): Generator<string> {
  yield* guards.map((guard) => `DROP TRIGGER ${guard.name};`);
  yield* RESET_STATEMENTS;
  if (guards.some((guard) => guard.name === 'events_no_delete')) yield 'DELETE FROM events;';
  yield* guards.map((guard) => `${guard.sql};`);
  yield* insertAll(data);
  yield DROP_REPLACED_USERS;
  yield* FINAL_STATEMENTS;
}
