import { z } from 'zod';

/** E.164 per ITU-T: a plus, a non-zero country digit, at most 15 digits in all. */
export const E164 = /^\+[1-9]\d{1,14}$/;

export const e164Schema = z.string().regex(E164, 'must be an E.164 phone number such as +14155550100');
