import { z } from '@hono/zod-openapi';
import { createSchemaFactory } from 'drizzle-zod';
import { ROLES, users } from '../../db/schema';
import { boundedText, calendarDate, email, loginEmail, loginPassword, password, today } from '../../lib/fields';
import { pageSchema } from '../../lib/paging';
import { TOKEN_TTL_SECONDS } from '../../lib/token';

const { createSelectSchema, createInsertSchema } = createSchemaFactory({ zodInstance: z });

/** A user as the API shows it: derived from the table, minus the credentials. */
export const userSchema = createSelectSchema(users)
  .omit({ password_hash: true, token_version: true, version: true, items_out: true })
  .openapi('User', {
    example: { id: 7, first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.org', DOB: '1990-04-01', address: null, role: 'member' },
  });

const dateOfBirth = calendarDate.refine((value) => value <= today(), 'Must not be in the future.');

/** Registration: the table's insertable columns, with the contract's bounds, and a plain-text password. */
export const registerBody = createInsertSchema(users, {
  first_name: () => boundedText(100),
  last_name: () => boundedText(100),
  email: () => email,
  DOB: () => dateOfBirth.nullable(),
  address: () => boundedText(500, 0).nullable(),
  role: () => z.enum(ROLES),
})
  .omit({ id: true, password_hash: true, token_version: true, version: true, items_out: true })
  .extend({ password })
  .strict()
  .openapi('RegisterUser');

/** What a user may change about themselves: any field but `role`. */
export const profileUpdateBody = registerBody.omit({ role: true }).partial().strict().openapi('UpdateProfile');

/** What an admin may change about anyone, `role` included. */
export const adminUpdateBody = registerBody.partial().strict().openapi('UpdateUser');

export const loginBody = z
  .strictObject({ email: loginEmail, password: loginPassword })
  .openapi('Login');

export const tokenSchema = z
  .object({
    message: z.string(),
    token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.literal(TOKEN_TTL_SECONDS),
  })
  .openapi('Token');

export const userPageSchema = pageSchema(userSchema, 'UserPage');
