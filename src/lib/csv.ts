import { parse } from 'csv-parse/sync';

/**
 * CSV (RFC 4180) both ways: reading an uploaded file with csv-parse, writing export rows.
 * Line numbers are 1-based lines of the file as sent, so a client can find each row in an editor.
 */

export interface CsvRecord {
  cells: string[];
  /** The line where the record starts (a quoted field may span several lines). */
  line: number;
}

export interface CsvProblem {
  line: number;
  message: string;
}

const PARSE_PROBLEMS: Record<string, string> = {
  INVALID_OPENING_QUOTE: 'A quote is misplaced: quote the whole field, and double every quote inside it.',
  // The parser cannot find where such a row ends: it reads on to the end of the file.
  CSV_INVALID_CLOSING_QUOTE:
    'A quoted field continues after its closing quote: double every quote inside it. The rows after this one were not read.',
  CSV_QUOTE_NOT_CLOSED: 'A quoted field is never closed. The rows after this one were not read.',
};

const newlines = (text: string) => {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

/**
 * Every record of `text` with the line it starts on; blank lines (empty or only spaces) are
 * skipped, and a record the parser cannot read is reported as a problem instead of failing the file.
 */
export function readCsv(text: string): { records: CsvRecord[]; problems: CsvProblem[] } {
  // One line break, "\n": csv-parse counts CRLF inside quoted fields twice. No field the catalogue
  // accepts may contain a line break (control characters are refused), so nothing valid changes.
  const normalized = text.replace(/\r\n?/g, '\n');
  const problems: CsvProblem[] = [];
  let lastLine = 0;
  let lastCode = '';
  const parsed = parse(normalized, {
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_record: (record, context) => {
      lastLine = context.lines;
      return record;
    },
    on_skip: (err) => {
      const code = (err as { code?: string } | undefined)?.code ?? '';
      const reported = (err as { lines?: number } | undefined)?.lines ?? lastLine + 1;
      // An unclosed quote is only noticed at the end of the file: the record began after the last one read.
      const line = code === 'CSV_QUOTE_NOT_CLOSED' ? lastLine + 1 : reported;
      // A bad closing quote leaves the parser inside a quote to the end, reported once more as unclosed.
      if (!(code === 'CSV_QUOTE_NOT_CLOSED' && lastCode === 'CSV_INVALID_CLOSING_QUOTE')) {
        problems.push({ line, message: PARSE_PROBLEMS[code] ?? 'This row is not valid CSV (RFC 4180).' });
      }
      lastCode = code;
      lastLine = Math.max(lastLine, reported);
      return undefined;
    },
  }) as unknown as { record: string[]; info: { lines: number } }[];
  const records: CsvRecord[] = [];
  for (const { record, info } of parsed) {
    if (record.every((cell) => cell.trim() === '')) continue;
    // csv-parse reports the line a record ends on; its fields hold the line breaks it spans.
    records.push({ cells: record, line: info.lines - record.reduce((sum, cell) => sum + newlines(cell), 0) });
  }
  return { records, problems };
}

/**
 * One CSV cell. A cell a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR)
 * gets a leading apostrophe, as OWASP advises for CSV exports; `readCell` removes it again, so an
 * export imports back unchanged. For that to hold, a value that is already apostrophes followed by
 * such a character gets one apostrophe more; other apostrophes ('Salem's Lot) are left alone.
 */
const GUARDED = /^'*[=+\-@\t\r]/;
const UNGUARD = /^'+[=+\-@\t\r]/;

export function csvCell(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  const text = GUARDED.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The inverse of `csvCell`'s formula guard, applied to every cell an import reads. */
export const readCell = (cell: string) => (UNGUARD.test(cell) ? cell.slice(1) : cell);

export const csvRow = (cells: (string | null | undefined)[]) => `${cells.map(csvCell).join(',')}\r\n`;
