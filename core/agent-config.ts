import { z } from 'zod';

/** Turn detection as the model takes it (GA and beta share these fields). */
export const turnDetectionSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('server_vad'),
    threshold: z.number().min(0).max(1).default(0.5),
    prefixPaddingMs: z.number().int().min(0).max(5000).default(300),
    silenceDurationMs: z.number().int().min(0).max(10_000).default(500),
  }),
  z.strictObject({
    type: z.literal('semantic_vad'),
    eagerness: z.enum(['low', 'medium', 'high', 'auto']).default('auto'),
  }),
]);
export type TurnDetection = z.infer<typeof turnDetectionSchema>;

/**
 * The agent a call talks to. One config is active at a time (the database enforces it); a live session applies a
 * changed config between turns.
 */
export const agentConfigSchema = z.strictObject({
  name: z.string().min(1).max(100).default('default'),
  instructions: z
    .string()
    .max(20_000)
    .default('You are a helpful voice assistant. Keep answers short and friendly.'),
  voice: z.string().min(1).max(40).default('marin'),
  model: z.string().min(1).max(100).default('gpt-realtime'),
  apiMode: z.enum(['ga', 'beta']).default('ga'),
  turnDetection: turnDetectionSchema.default({
    type: 'server_vad',
    threshold: 0.5,
    prefixPaddingMs: 300,
    silenceDurationMs: 500,
  }),
  /** When set, the agent speaks first: this is the instruction for its opening response. */
  greeting: z.string().max(2000).nullable().default(null),
  /** Names of the tools offered to the model; unknown names are ignored with a warning. */
  enabledTools: z.array(z.string().min(1).max(64)).max(64).default([]),
  /** Transcribe the caller's speech (input transcription model), or null to skip. */
  transcriptionModel: z.string().max(100).nullable().default('gpt-4o-mini-transcribe'),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;

export function defaultAgentConfig(overrides: Partial<AgentConfig> = {}): AgentConfig {
  return agentConfigSchema.parse(overrides);
}
