import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { policy, type PolicyRow } from '../../db/schema';
import { type EventContext, recordEvent } from '../../lib/events';
import { POLICY_FIELDS } from '../../lib/policy';

const policyColumns = Object.fromEntries([...POLICY_FIELDS, 'version'].map((name) => [name, policy[name as keyof PolicyRow]])) as {
  [K in (typeof POLICY_FIELDS)[number] | 'version']: (typeof policy)[K];
};
export type StoredPolicy = Omit<PolicyRow, 'id'>;

export const readPolicy = (db: Database) => db.select(policyColumns).from(policy).where(eq(policy.id, 1));

/**
 * Applies `changes` and raises the version, guarded by If-Match's versions inside the UPDATE (so
 * of two racing writers with the same tag exactly one wins), and appends `policy.changed` in the
 * same batch. Undefined when If-Match matched no version.
 */
export async function updatePolicy(
  db: Database,
  context: EventContext,
  changes: Partial<Omit<StoredPolicy, 'version'>>,
  ifMatch: SQL | undefined,
): Promise<StoredPolicy | undefined> {
  const [updated] = await db.batch([
    db
      .update(policy)
      .set({ ...changes, version: sql`${policy.version} + 1` })
      .where(and(eq(policy.id, 1), ifMatch))
      .returning(policyColumns),
    recordEvent(db, context, 'policy.changed', {}),
  ]);
  return updated[0];
}
