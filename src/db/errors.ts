/**
 * Recognises a UNIQUE violation on `table.column` in an error thrown by Drizzle/D1. Only the
 * database's own message is inspected (Drizzle's wrapper message also lists bound parameters).
 */
export function isUniqueViolation(err: unknown, target: string): boolean {
  const messages: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) messages.push(e.message);
  return messages.some((m) => m.includes('UNIQUE constraint failed') && m.includes(target));
}

/**
 * Recognises a trigger's `RAISE(ABORT, '<reason>')` (migrations/0005) in an error thrown by
 * Drizzle/D1, again from the database's own message only.
 */
export function isRaised(err: unknown, reason: string): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (new RegExp(`\\b${reason}\\b`).test(e.message) && !e.message.includes('params:')) return true;
  }
  return false;
}
