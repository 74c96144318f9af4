// Small zod builders whose messages name the rule, so every config error says what is allowed.
import { z } from 'zod';

export function integer(min: number, max: number) {
  return z.coerce
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int(`must be a whole number from ${min} to ${max}`)
    .min(min, `must be a whole number from ${min} to ${max}`)
    .max(max, `must be a whole number from ${min} to ${max}`);
}

export function number(min: number, max: number) {
  return z.coerce
    .number({ error: `must be a number from ${min} to ${max}` })
    .min(min, `must be a number from ${min} to ${max}`)
    .max(max, `must be a number from ${min} to ${max}`);
}

export function boolean() {
  return z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])], {
      error: 'must be true or false',
    })
    .transform((value) => value === true || value === 'true' || value === '1' || value === 'yes');
}

/**
 * A secret (API key, token): trimmed once here, so a key pasted with a trailing newline is the
 * key itself everywhere after — in the header sent, and in what redaction looks for.
 */
export function secret() {
  return z.string().trim().min(1, 'must not be empty');
}

/** A setting whose value `parse` validates (throwing an Error whose message is the rule). */
export function validWith(parse: (value: string) => unknown) {
  return (value: string | undefined, ctx: z.RefinementCtx) => {
    if (value === undefined) return;
    try {
      parse(value);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  };
}
