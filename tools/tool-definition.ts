import { z } from 'zod';
import { TOOL_NAME } from './define-tool.ts';

/**
 * Environment variables a header may name. Only this prefix, so a definition cannot send DATABASE_URL or
 * TWILIO_AUTH_TOKEN to a URL of its choosing: an operator opts a secret in by naming it `TOOL_…`.
 */
export const SECRET_ENV_NAME = /^TOOL_[A-Z0-9_]{1,64}$/;

/** Headers whose literal value would be a credential in the database; these must name a variable instead. */
const SENSITIVE_HEADER = /authorization|cookie|token|secret|key|password|signature|auth/i;

/** Headers fetch sets itself or refuses; letting a definition set them breaks the request or the framing. */
const FORBIDDEN_HEADERS = new Set([
  'host',
  'content-length',
  'connection',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'not a valid header name')
  .refine((n) => !FORBIDDEN_HEADERS.has(n.toLowerCase()), 'this header is set by the gateway');

/** A header value: literal text (not secret), or `{ env: "TOOL_…" }` read from the environment at call time. */
export const headerValueSchema = z.union([
  z
    .string()
    .max(1000)
    .regex(/^[^\r\n]*$/, 'header values are one line'),
  z.strictObject({ env: z.string().regex(SECRET_ENV_NAME, 'must name an environment variable TOOL_…') }),
]);
export type HeaderValue = z.infer<typeof headerValueSchema>;

/** JSON Schema of a webhook tool's arguments: an object schema that the validator understands. */
const parametersSchema = z
  .record(z.string(), z.unknown())
  .refine((s) => s.type === 'object', 'parameters must be a JSON Schema with "type": "object"')
  .superRefine((s, ctx) => {
    try {
      z.fromJSONSchema(s);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `unsupported JSON Schema: ${(err as Error).message}` });
    }
  })
  .refine((s) => JSON.stringify(s).length <= 16 * 1024, 'parameters schema is larger than 16 KiB');

/**
 * A tool an admin defines without code: a row of `tool_definitions`, and the body of `POST /api/tools`. Secret
 * header values are never stored: they name an environment variable. Storage validates input with this schema
 * (`.strict()` on top for API bodies) and the registry parses stored rows with it again.
 */
export const webhookToolDefinitionSchema = z
  .object({
    name: z.string().regex(TOOL_NAME, 'letters, digits, _ and -, at most 64'),
    description: z.string().min(1).max(1024),
    kind: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
    parameters: parametersSchema.default({ type: 'object', properties: {} }),
    headers: z.record(headerName, headerValueSchema).default({}),
    timeoutMs: z.number().int().min(100).max(30_000).default(5000),
    enabled: z.boolean().default(true),
  })
  .superRefine((d, ctx) => {
    for (const [name, value] of Object.entries(d.headers)) {
      if (typeof value === 'string' && SENSITIVE_HEADER.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['headers', name],
          message: 'this header holds a secret: give { "env": "TOOL_…" } instead of its value',
        });
      }
    }
  });

export type WebhookToolDefinition = z.output<typeof webhookToolDefinitionSchema>;
export type WebhookToolDefinitionInput = z.input<typeof webhookToolDefinitionSchema>;
