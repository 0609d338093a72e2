import { ApiError, type Blocker, type ProblemCode } from './problem';

/** The target's own state, item by item, in the contract's order of refusals. */
export const REFUSAL_ORDER: ProblemCode[] = [
  'LOAN_RETURNED',
  'LOAN_OVERDUE',
  'RENEWAL_LIMIT_REACHED',
  'HOLD_PENDING',
  'BOOK_ALREADY_ON_LOAN',
  'HOLD_EXISTS',
  'ALREADY_BORROWED',
  'NO_LENDABLE_COPIES',
  'BOOK_UNAVAILABLE',
  'COPY_UNAVAILABLE',
  // Patron-level blocks (fines, overdue copies, limits) come after these, without a book_id.
];

const rank = (code: ProblemCode) => {
  const index = REFUSAL_ORDER.indexOf(code);
  return index === -1 ? REFUSAL_ORDER.length : index;
};

/**
 * Keeps at most one blocker per book (the first that applies to it) and sorts them in the order of
 * refusals (stable, so entries keep the request's order within one code).
 */
export function orderBlockers(blockers: Blocker[]): Blocker[] {
  const seen = new Map<number, Blocker>();
  const patronLevel: Blocker[] = [];
  for (const blocker of blockers) {
    if (blocker.book_id === undefined) {
      patronLevel.push(blocker);
      continue;
    }
    const current = seen.get(blocker.book_id);
    if (!current || rank(blocker.code) < rank(current.code)) seen.set(blocker.book_id, blocker);
  }
  const items = [...seen.values()];
  return [...items, ...patronLevel]
    .map((blocker, index) => ({ blocker, index }))
    .sort((a, b) => rank(a.blocker.code) - rank(b.blocker.code) || a.index - b.index)
    .map(({ blocker }) => blocker);
}

/** The 409 for a refused circulation write: `code` and `detail` from the first blocker, all of them listed. */
export function refused(blockers: Blocker[]): ApiError {
  const ordered = orderBlockers(blockers);
  const [first] = ordered;
  if (!first) throw new Error('refused() needs at least one blocker');
  return new ApiError(409, first.code, first.detail, { blockers: ordered });
}
