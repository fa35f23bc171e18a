import { z } from 'zod';

/** Ids are opaque strings; this shape keeps them safe as Mongo `_id`s, SQLite keys and URL segments. */
export const idSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ or -');
export const uuidSchema = z.uuid();

export const isoDateTimeSchema = z.iso.datetime({ offset: true });
/** Normalised before validation, so ` Ada@Example.org ` and `ada@example.org` are one account. */
export const emailSchema = z.string().trim().toLowerCase().pipe(z.email().max(254));
export const nameSchema = z.string().trim().min(1).max(200);

export const limitSchema = z.coerce.number().int().min(1).max(500).default(50);
export const cursorSchema = z.string().min(1).max(512);

export const listQuerySchema = z.strictObject({
  limit: limitSchema,
  cursor: cursorSchema.optional(),
  q: z.string().trim().max(200).optional(),
});

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
export type Page<T> = { items: T[]; nextCursor: string | null };

export const okSchema = z.object({ ok: z.literal(true) });
