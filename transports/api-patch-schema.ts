import { z } from 'zod';

/**
 * The "fields to change" form of an object schema: every field optional, and without its default — a PUT that
 * leaves a field out must keep the stored value, not reset it (zod 4 applies a default inside `.partial()`).
 * Unknown fields are refused, so a typo is a 400 rather than a silent no-op.
 */
export function patchSchema<T extends z.ZodRawShape>(shape: T) {
  const fields: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(shape)) {
    const inner = field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : (field as z.ZodType);
    fields[key] = inner.optional();
  }
  return z.strictObject(fields) as unknown as z.ZodObject<{ [K in keyof T]: z.ZodOptional<T[K]> }, z.core.$strict>;
}
