/**
 * The Realtime API renamed some server events between beta and GA (PROTOCOLS.md). Everything past the socket speaks
 * GA names; this table is the only place beta names exist.
 */
const BETA_TO_GA: Record<string, string> = {
  'response.audio.delta': 'response.output_audio.delta',
  'response.audio.done': 'response.output_audio.done',
  'response.audio_transcript.delta': 'response.output_audio_transcript.delta',
  'response.audio_transcript.done': 'response.output_audio_transcript.done',
  'response.text.delta': 'response.output_text.delta',
  'response.text.done': 'response.output_text.done',
  'conversation.item.created': 'conversation.item.added',
};

const GA_TO_BETA: Record<string, string> = Object.fromEntries(Object.entries(BETA_TO_GA).map(([b, g]) => [g, b]));

export type ApiMode = 'ga' | 'beta';

/** The GA name of a server event, whichever dialect it arrived in. */
export function gaEventName(type: string): string {
  return BETA_TO_GA[type] ?? type;
}

/** The name a server event has in the given dialect (used by the simulator to speak beta). */
export function serverEventName(gaName: string, mode: ApiMode): string {
  return mode === 'beta' ? (GA_TO_BETA[gaName] ?? gaName) : gaName;
}
