import type { ZodType, ZodTypeDef } from 'zod';
import { AppError } from '@konsilium/shared';

/** Validates `value` with `schema`; a failure is `validation.invalid` naming the first bad field. */
export function validate<T>(
  schema: ZodType<T, ZodTypeDef, unknown>,
  value: unknown,
  where: string,
): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  let field = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') field = [field, issue.keys[0]].filter(Boolean).join('.');
  const reason = issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
  throw new AppError('validation.invalid', {
    message: `Invalid ${where}${field ? ` field "${field}"` : ''}: ${reason}`,
    ...(field ? { field } : {}),
    details: { in: where },
  });
}
