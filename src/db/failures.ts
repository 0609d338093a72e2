/**
 * What a failed D1 call was doing, and whether the failure is D1's own bad moment (answer 503 and
 * let the client retry) or a bug (500). Only SQL text we wrote and D1's fixed reasons are ever
 * reported: Drizzle's error message lists the bound parameters, and some D1 messages quote a value.
 */

/**
 * D1's transient failures, as its error list words them (D1 docs, "Debug D1" → "List of
 * D1_ERRORs"), matched case-insensitively anywhere in the message so the `D1_ERROR: ` prefix and a
 * trailing period do not matter. `retryAfter` is what the 503 tells the client to wait.
 */
const TRANSIENT: { match: string; reason: string; retryAfter: number }[] = [
  { match: 'network connection lost', reason: 'network connection lost', retryAfter: 2 },
  { match: 'reset because its code was updated', reason: 'D1 reset because its code was updated', retryAfter: 2 },
  { match: 'while starting up d1 db storage', reason: 'D1 storage failing to start', retryAfter: 2 },
  { match: 'internal error in d1 db storage', reason: 'D1 storage reset after an internal error', retryAfter: 2 },
  { match: 'cannot resolve d1 db due to transient issue', reason: 'D1 unreachable (transient issue on remote node)', retryAfter: 2 },
  { match: "can't read from request stream", reason: 'D1 request stream interrupted', retryAfter: 2 },
  { match: 'storage operation exceeded timeout', reason: 'D1 storage operation timed out', retryAfter: 5 },
  { match: 'd1 db is overloaded', reason: 'D1 overloaded', retryAfter: 5 },
  { match: 'exceeded its memory limit and was reset', reason: 'D1 reset: memory limit', retryAfter: 5 },
  { match: 'exceeded its cpu time limit and was reset', reason: 'D1 reset: CPU time limit', retryAfter: 5 },
];

export interface TransientD1Failure {
  /** One of D1's fixed reasons, safe to log. */
  reason: string;
  /** Seconds for `Retry-After`. */
  retryAfter: number;
}

const messagesOf = (err: unknown): string[] => {
  const messages: string[] = [];
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) messages.push(e.message);
  return messages;
};

/** The transient D1 failure behind `err` (anywhere in its cause chain), or undefined. */
export function transientD1Failure(err: unknown): TransientD1Failure | undefined {
  for (const message of messagesOf(err)) {
    const lower = message.toLowerCase();
    const known = TRANSIENT.find((t) => lower.includes(t.match));
    if (known) return { reason: known.reason, retryAfter: known.retryAfter };
  }
  return undefined;
}

/**
 * A loggable summary of a non-transient database error: D1's error constant, SQLite's result
 * code and the constraint's name when there is one (`D1_ERROR SQLITE_CONSTRAINT UNIQUE users.email`),
 * never the free text, which may quote a bound value (`D1_TYPE_ERROR: ... for value '...'`).
 */
export function d1ErrorSummary(err: unknown): string | undefined {
  for (const message of messagesOf(err)) {
    const constant = /\b(D1_[A-Z_]+)\b/.exec(message)?.[1];
    if (!constant) continue;
    const code = /\b(SQLITE_[A-Z_]+)\b/.exec(message)?.[1];
    const constraint = /\b(UNIQUE|FOREIGN KEY|CHECK|NOT NULL|PRIMARY KEY) constraint failed(?:: ([A-Za-z_][\w.]*))?/.exec(message);
    return [constant, code, constraint?.[1], constraint?.[2]].filter(Boolean).join(' ');
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Statement classes: "insert loans", "update books", "select users" — the SQL's verb and table.

const IDENT = /^\s*(?:[`"[]?)([A-Za-z_][A-Za-z0-9_]*)(?:[`"\]]?)/;
const VERBS = ['select', 'insert', 'update', 'delete', 'replace'] as const;

/** Removes comments and string literals, and keeps only the text at parenthesis depth 0. */
function topLevel(sql: string): string {
  const text = sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/'(?:[^']|'')*'/g, "''");
  let depth = 0;
  let out = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0) out += ch;
  }
  return out;
}

/**
 * `insert loans`, `select books`, `with … update copies`: the first verb at the top level (after any
 * CTEs) and the table it works on. Derived from our SQL text only; bound values never appear in it.
 */
export function statementClass(sql: string): string {
  const top = topLevel(sql);
  const verbMatch = new RegExp(`\\b(${VERBS.join('|')})\\b`, 'i').exec(top);
  if (!verbMatch) return /^\s*(\w+)/.exec(top)?.[1]?.toLowerCase() ?? 'statement';
  const verb = verbMatch[1]!.toLowerCase();
  const rest = top.slice(verbMatch.index + verbMatch[0].length);
  const after = (keyword: RegExp) => {
    const m = keyword.exec(rest);
    return m ? IDENT.exec(rest.slice(m.index + m[0].length))?.[1] : undefined;
  };
  let table: string | undefined;
  if (verb === 'insert' || verb === 'replace') table = after(/\binto\b/i);
  else if (verb === 'update') table = IDENT.exec(rest.replace(/^\s*or\s+\w+/i, ''))?.[1];
  else table = after(/\bfrom\b/i);
  const prefix = /^\s*with\b/i.test(top) ? 'with … ' : '';
  return `${prefix}${verb}${table ? ` ${table.toLowerCase()}` : ''}`;
}

/** `batch of 3: insert loans, insert loan_books, select books` (the first few, then "…"). */
export function batchClass(classes: string[]): string {
  const shown = classes.slice(0, 6).join(', ');
  return `batch of ${classes.length}: ${shown}${classes.length > 6 ? ', …' : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Tagging: the instrumented binding records which statement class an error came from.

const failedStatements = new WeakMap<object, string>();

/** Records that `err` was thrown by a call running `statement` (the first tag wins). */
export function tagFailure(err: unknown, statement: string): void {
  if (typeof err === 'object' && err !== null && !failedStatements.has(err)) failedStatements.set(err, statement);
}

/** The statement class recorded for `err` or any error in its cause chain. */
export function failedStatement(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as Error).cause, depth++) {
    const tag = failedStatements.get(e);
    if (tag) return tag;
  }
  return undefined;
}
