import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Paths whose values never reach a log line: credentials, tokens, and phone numbers (which are personal data).
 * pino's redaction is path-based, so every place a secret or number may sit is listed.
 */
export const REDACT_PATHS = [
  'apiKey',
  'authToken',
  'token',
  'secret',
  'password',
  'authorization',
  'headers.authorization',
  'headers["x-twilio-signature"]',
  'req.headers.authorization',
  'from',
  'to',
  'caller',
  'phone',
  'phoneNumber',
  'customParameters.token',
  '*.apiKey',
  '*.authToken',
  '*.token',
  '*.secret',
  '*.password',
  '*.from',
  '*.to',
  '*.phone',
  '*.phoneNumber',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { svc: 'voxbridge' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** Masks all but the last two digits of a phone number, for the rare message that must say which caller. */
export function maskPhone(number: string | undefined): string | undefined {
  if (!number) return number;
  return number.length <= 4 ? '****' : `${'*'.repeat(number.length - 2)}${number.slice(-2)}`;
}
