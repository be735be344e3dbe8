import { z } from 'zod';

/** A UUID (any version) in canonical lower-case form. */
export const Id = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a UUID');

/** An ISO 8601 timestamp with an offset or `Z`. */
export const IsoTime = z.string().datetime({ offset: true });

/** Trimmed non-empty text of at most `max` characters. */
export const Text = (max: number) => z.string().trim().min(1).max(max);

/** `limit`/`offset` query parameters (strings on the wire). */
export const Page = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

/** A page of results. */
export interface PageOf<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}
