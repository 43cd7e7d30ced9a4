import { existsSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors.ts';

const port = z.coerce.number().int().min(0).max(65535);
const url = z.url();
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

/**
 * The environment voxbridge reads, parsed once. These names are the public interface: renaming one breaks every
 * deployment, so add, never rename.
 */
export const configSchema = z.object({
  PORT: port.default(8081),
  HOST: z.string().default('0.0.0.0'),
  /** How Twilio reaches us (scheme and host behind proxies); signatures are computed over it. */
  PUBLIC_URL: url.optional(),
  OPENAI_API_KEY: optionalString,
  OPENAI_REALTIME_URL: url.default('wss://api.openai.com/v1/realtime'),
  OPENAI_MODEL: z.string().min(1).default('gpt-realtime'),
  OPENAI_API_MODE: z.enum(['ga', 'beta']).default('ga'),
  TWILIO_ACCOUNT_SID: optionalString,
  TWILIO_AUTH_TOKEN: optionalString,
  /** Base of Twilio's REST API; tests aim it at a local stand-in. */
  TWILIO_API_URL: url.default('https://api.twilio.com'),
  ADMIN_TOKEN: optionalString,
  DATABASE_URL: optionalString,
  /** Where embedded PGlite keeps its files when DATABASE_URL is unset. */
  DATA_DIR: z.string().default('.data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * What the model hears and speaks: `caller` = the caller's own format (mu-law for phones: a pure relay, no codec
   * work), or a fixed one, transcoded inline at the gateway (e.g. `pcm16` for PCM at 24 kHz).
   */
  MODEL_AUDIO: z.enum(['caller', 'pcm16', 'pcmu', 'pcma']).default('caller'),
  /** Roll the model connection over before the server's 30-minute session limit. */
  MODEL_SESSION_MAX_MS: z.coerce.number().int().positive().default(28 * 60_000),
  /** Lifetime of the stream token /twiml hands to Twilio. */
  STREAM_TOKEN_TTL_S: z.coerce.number().int().positive().default(60),
  OPEN_METEO_URL: url.default('https://api.open-meteo.com'),
  N8N_CUSTOMER_LOOKUP_URL: url.optional(),
  N8N_KNOWLEDGE_BASE_URL: url.optional(),
  N8N_WEBHOOK_SECRET: optionalString,
});

export type Config = z.infer<typeof configSchema>;

/**
 * Reads `.env` (when present; real environment variables win) and parses. Throws a ConfigError naming each bad
 * variable, so a typo in PORT says "PORT: …", not a stack trace from deep inside the server.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, envFile = '.env'): Config {
  if (env === process.env && existsSync(envFile)) process.loadEnvFile(envFile);
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}

/** A config for tests and tools: defaults plus what is given, validated the same way. */
export function makeConfig(overrides: Partial<Record<keyof Config, string | number>> = {}): Config {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) env[k] = String(v);
  return loadConfig(env);
}
