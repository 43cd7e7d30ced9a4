import { z } from 'zod';

/**
 * Twilio Media Streams messages (PROTOCOLS.md). `sequenceNumber`, `chunk` and `timestamp` are strings on the wire.
 * `media` is not parsed by schema: it is the per-frame path and is checked field by field in the leg.
 */
export const connectedMessage = z.object({ event: z.literal('connected') }).loose();

export const startMessage = z.object({
  event: z.literal('start'),
  streamSid: z.string().min(1).max(64),
  start: z.object({
    streamSid: z.string().min(1).max(64),
    accountSid: z.string().max(64).optional(),
    callSid: z.string().min(1).max(64),
    tracks: z.array(z.string()).optional(),
    customParameters: z.record(z.string(), z.string().max(4096)).optional(),
    mediaFormat: z
      .object({ encoding: z.string(), sampleRate: z.number(), channels: z.number() })
      .optional(),
  }),
});
export type StartMessage = z.infer<typeof startMessage>;

export const dtmfMessage = z.object({
  event: z.literal('dtmf'),
  streamSid: z.string().optional(),
  dtmf: z.object({ track: z.string().optional(), digit: z.string().regex(/^[0-9*#A-D]$/) }),
});

export const stopMessage = z.object({
  event: z.literal('stop'),
  streamSid: z.string().optional(),
  stop: z.object({ accountSid: z.string().optional(), callSid: z.string().optional() }).optional(),
});

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A media payload as Twilio sends it: base64 of whole bytes, no header. */
export function isBase64(s: string): boolean {
  return s.length % 4 === 0 && BASE64.test(s);
}
