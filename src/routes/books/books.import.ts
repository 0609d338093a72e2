import type { Context } from 'hono';
import { fieldErrors } from '../../lib/create-app';
import type { AppEnv } from '../../env';
import { clockNow, setCirculationContext } from '../../db/circulation-context';
import { eventContext } from '../../lib/events';
import { readCell, readCsv } from '../../lib/csv';
import { ApiError, type FieldErrors, validationFailed } from '../../lib/problem';
import { titleKey } from './books.queries';
import { bookCreateBody, type BookCreateInput } from './books.schemas';

/** The columns of an import file (and of an export), in export order. */
export const IMPORT_COLUMNS = ['title', 'author', 'genre', 'age_category', 'publish_date', 'isbn', 'copies'] as const;
const REQUIRED_COLUMNS = ['title', 'author', 'genre', 'age_category', 'publish_date'] as const;
type Column = (typeof IMPORT_COLUMNS)[number];

export const MAX_IMPORT_ROWS = 10_000;
/** Rows per committed chunk (each one atomic INSERT). */
export const IMPORT_CHUNK_ROWS = 1_000;
/** D1 caps a bound value (and a row) at 2,000,000 bytes; one chunk's JSON stays well below. */
const IMPORT_CHUNK_BYTES = 1_000_000;

export interface ImportFailure {
  line: number;
  errors: FieldErrors;
}
export interface ImportResult {
  created: number;
  skipped: number;
  failed: ImportFailure[];
}

/** A row as sent, with the line it starts on; `fields` is what would be POSTed to /books. */
interface SourceRow {
  line: number;
  fields?: Record<string, unknown>;
  errors?: FieldErrors;
}

const tooManyRows = () =>
  new ApiError(413, 'PAYLOAD_TOO_LARGE', `An import holds at most ${MAX_IMPORT_ROWS} rows; split the file.`);

/** Copies one import may create in all (each row: `copies`, default 1). */
export const MAX_IMPORT_COPIES = 10_000;
const tooManyCopies = () =>
  new ApiError(413, 'PAYLOAD_TOO_LARGE', `An import creates at most ${MAX_IMPORT_COPIES} copies in all; split the file.`);

const isColumn = (name: string): name is Column => (IMPORT_COLUMNS as readonly string[]).includes(name);

/** The header row decides which cell is which field: known names, each once, the required ones all there. */
function readHeader(cells: string[]): Column[] {
  const names = cells.map((cell) => cell.trim().toLowerCase());
  const problems: string[] = [];
  names.forEach((name, i) => {
    if (!isColumn(name)) problems.push(`Unknown column ${JSON.stringify(cells[i]!.slice(0, 100))}.`);
    else if (names.indexOf(name) !== i) problems.push(`The column ${name} appears twice.`);
  });
  for (const name of REQUIRED_COLUMNS) if (!names.includes(name)) problems.push(`The column ${name} is missing.`);
  if (problems.length) {
    throw validationFailed(
      { header: problems },
      `The first line must be the header row, naming the columns: ${REQUIRED_COLUMNS.join(', ')} (required) and isbn (optional), in any order.`,
    );
  }
  return names as Column[];
}

function csvRows(text: string): SourceRow[] {
  const { records, problems } = readCsv(text);
  const [header, ...data] = records;
  if (!header) throw validationFailed({ body: ['The file is empty; its first line must be the header row.'] });
  const columns = readHeader(header.cells);
  if (data.length + problems.length > MAX_IMPORT_ROWS) throw tooManyRows();
  const rows: SourceRow[] = problems.map(({ line, message }) => ({ line, errors: { row: [message] } }));
  for (const { cells, line } of data) {
    if (cells.length !== columns.length) {
      rows.push({ line, errors: { row: [`This row has ${cells.length} fields; the header has ${columns.length}.`] } });
      continue;
    }
    const fields: Record<string, unknown> = {};
    columns.forEach((column, i) => {
      const cell = readCell(cells[i]!);
      // An empty optional cell means "not given"; an empty required one fails validation.
      if ((column === 'isbn' || column === 'copies') && cell.trim() === '') return;
      // A count is a number in JSON; CSV cells are text, so digits become one (anything else fails validation).
      fields[column] = column === 'copies' && /^\s*\d{1,6}\s*$/.test(cell) ? Number(cell) : cell;
    });
    rows.push({ line, fields });
  }
  return rows.sort((a, b) => a.line - b.line);
}

function ndjsonRows(text: string): SourceRow[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.filter((line) => line.trim() !== '').length > MAX_IMPORT_ROWS) throw tooManyRows();
  const rows: SourceRow[] = [];
  lines.forEach((source, i) => {
    if (source.trim() === '') return;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(source);
    } catch {
      rows.push({ line, errors: { row: ['This line is not valid JSON.'] } });
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      rows.push({ line, errors: { row: ['Each line must be one JSON object (a book).'] } });
      return;
    }
    rows.push({ line, fields: value as Record<string, unknown> });
  });
  return rows;
}

/** A book to insert, as the JSON one chunk's statement reads. */
type Candidate = BookCreateInput & { title_key: string };

/**
 * Validates every row like POST /books and drops repeats within the file (same title, ignoring
 * case, or same ISBN as an earlier valid row): those count as skipped.
 */
function validate(rows: SourceRow[]): { candidates: Candidate[]; failed: ImportFailure[]; repeats: number } {
  const failed: ImportFailure[] = [];
  const candidates: Candidate[] = [];
  const titles = new Set<string>();
  const isbns = new Set<string>();
  let repeats = 0;
  for (const row of rows) {
    if (row.errors) {
      failed.push({ line: row.line, errors: row.errors });
      continue;
    }
    const result = bookCreateBody.safeParse(row.fields);
    if (!result.success) {
      failed.push({ line: row.line, errors: fieldErrors(result.error, 'json') });
      continue;
    }
    const book = result.data;
    const key = titleKey(book.title);
    if (titles.has(key) || (book.isbn && isbns.has(book.isbn))) {
      repeats++;
      continue;
    }
    titles.add(key);
    if (book.isbn) isbns.add(book.isbn);
    candidates.push({ ...book, title_key: key });
  }
  return { candidates, failed, repeats };
}

/**
 * One chunk, one statement, one bound parameter (D1 allows 100 per statement): the rows travel
 * as a JSON array that json_each unpacks in order, so ids follow the file. A title or ISBN that
 * exists already is left alone (DO NOTHING covers every unique index); RETURNING counts the rest
 * (`meta.changes` would count the triggers' writes too).
 */
const INSERT_CHUNK = `INSERT INTO books (title, author, genre, age_category, publish_date, isbn, title_key)
SELECT json_extract(value, '$.title'), json_extract(value, '$.author'), json_extract(value, '$.genre'),
       json_extract(value, '$.age_category'), json_extract(value, '$.publish_date'), json_extract(value, '$.isbn'),
       json_extract(value, '$.title_key')
FROM json_each(?1) WHERE true
ON CONFLICT DO NOTHING
RETURNING id`;

/**
 * Each chunk's batch notes the newest book id before its insert (a counters row), so that the
 * statement after it gives copies (`copies`, default 1, barcodes assigned by the copies trigger) to
 * exactly the books the chunk created: AUTOINCREMENT ids only grow and the batch runs alone. A
 * skipped row's book, already there, gets none.
 */
const MARK_LAST_BOOK = `INSERT INTO counters (name, value) VALUES ('import:last_book_id', (SELECT coalesce(max(id), 0) FROM books))
ON CONFLICT (name) DO UPDATE SET value = excluded.value`;
// One row per copy, counted down per book (a recursive CTE over the chunk's new books), so each
// book is read once and each copy once; a join with a fixed 1..50 sequence read 50 rows per book.
const INSERT_COPIES = `WITH RECURSIVE wanted(book_id, left) AS (
  SELECT b.id, json_extract(j.value, '$.copies') FROM json_each(?1) j
  JOIN books b ON b.title_key = json_extract(j.value, '$.title_key')
  WHERE b.id > (SELECT value FROM counters WHERE name = 'import:last_book_id') AND json_extract(j.value, '$.copies') > 0
  UNION ALL SELECT book_id, left - 1 FROM wanted WHERE left > 1
)
INSERT INTO copies (book_id) SELECT book_id FROM wanted ORDER BY book_id`;

/** One `book.created` event per book the chunk created (the copies' events come from their trigger). */
const BOOK_EVENTS = `INSERT INTO events (at, actor_id, action, book_id)
SELECT ?1, ?2, 'book.created', id FROM books WHERE id > (SELECT value FROM counters WHERE name = 'import:last_book_id') ORDER BY id`;

function* chunks(candidates: Candidate[]): Generator<string> {
  let chunk: string[] = [];
  let bytes = 0;
  for (const { title, author, genre, age_category, publish_date, isbn, copies, title_key } of candidates) {
    const json = JSON.stringify({ title, author, genre, age_category, publish_date, isbn: isbn ?? null, copies: copies ?? 1, title_key });
    if (chunk.length === IMPORT_CHUNK_ROWS || bytes + json.length * 3 > IMPORT_CHUNK_BYTES) {
      yield `[${chunk.join(',')}]`;
      chunk = [];
      bytes = 0;
    }
    chunk.push(json);
    bytes += json.length * 3; // UTF-16 units to at most 3 UTF-8 bytes each
  }
  if (chunk.length) yield `[${chunk.join(',')}]`;
}

export type ImportFormat = 'csv' | 'ndjson';

/** Parses, validates and inserts; each chunk commits on its own, so a re-run creates nothing new. */
export async function importBooks(c: Context<AppEnv>, text: string, format: ImportFormat): Promise<ImportResult> {
  const rows = format === 'csv' ? csvRows(text) : ndjsonRows(text);
  const { candidates, failed, repeats } = validate(rows);
  if (candidates.reduce((sum, book) => sum + (book.copies ?? 1), 0) > MAX_IMPORT_COPIES) throw tooManyCopies();
  const d1 = c.var.db.$client;
  const clock = clockNow();
  const { actorId, at } = eventContext(c, clock);
  // The copies' triggers (and their events) read the actor and time from the circulation context.
  const context = setCirculationContext(c.var.db, clock, actorId).toSQL();
  let created = 0;
  for (const chunk of chunks(candidates)) {
    const [, , inserted] = await d1.batch([
      d1.prepare(context.sql).bind(...context.params),
      d1.prepare(MARK_LAST_BOOK),
      d1.prepare(INSERT_CHUNK).bind(chunk),
      d1.prepare(BOOK_EVENTS).bind(at, actorId),
      d1.prepare(INSERT_COPIES).bind(chunk),
    ]);
    created += inserted?.results.length ?? 0;
  }
  return { created, skipped: repeats + candidates.length - created, failed };
}

/** The body as UTF-8 text (a BOM is dropped); anything else is a 400, not a garbled catalogue. */
export async function readUtf8(c: Context<AppEnv>): Promise<string> {
  const bytes = await c.req.arrayBuffer();
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw validationFailed({ body: ['The file is not valid UTF-8.'] });
  }
}
