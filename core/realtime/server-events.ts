import { z } from 'zod';

/**
 * Schemas of the Realtime server events the gateway acts on (GA names; beta names are mapped before parsing).
 * Audio deltas are routed by `type` and never parsed by a schema: they are the per-frame path.
 * Objects are loose on purpose: the API adds fields, and an added field must not break a call.
 */
export const speechStarted = z.object({ item_id: z.string(), audio_start_ms: z.number() });
export const speechStopped = z.object({ item_id: z.string(), audio_end_ms: z.number() });
export const inputTranscriptionCompleted = z.object({ item_id: z.string(), transcript: z.string() });
export const responseCreated = z.object({ response: z.object({ id: z.string() }) });
export const usage = z
  .object({
    total_tokens: z.number().optional(),
    input_tokens: z.number().optional(),
    output_tokens: z.number().optional(),
    input_token_details: z
      .object({
        text_tokens: z.number().optional(),
        audio_tokens: z.number().optional(),
        cached_tokens: z.number().optional(),
      })
      .loose()
      .optional(),
    output_token_details: z.object({ text_tokens: z.number().optional(), audio_tokens: z.number().optional() }).loose().optional(),
  })
  .loose();
export type Usage = z.infer<typeof usage>;
export const responseDone = z.object({
  response: z.object({
    id: z.string(),
    status: z.string().optional(),
    usage: usage.nullish(),
  }),
});
export const outputItem = z.object({
  item: z.object({
    id: z.string(),
    type: z.string(),
    role: z.string().optional(),
    call_id: z.string().optional(),
    name: z.string().optional(),
    arguments: z.string().optional(),
  }),
});
export const functionCallArgumentsDone = z.object({
  item_id: z.string().optional(),
  call_id: z.string(),
  name: z.string().optional(),
  arguments: z.string(),
});
export const transcriptDone = z.object({ item_id: z.string(), transcript: z.string() });
export const itemTruncated = z.object({ item_id: z.string(), audio_end_ms: z.number() });
export const serverError = z.object({
  error: z.object({
    type: z.string().optional(),
    code: z.string().nullish(),
    message: z.string().optional(),
    event_id: z.string().nullish(),
  }),
});
