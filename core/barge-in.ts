import type { HeardPosition } from './playback-tracker.ts';

/** One item to cut when the caller interrupts. */
export interface Truncation {
  itemId: string;
  /** The truncate's `audio_end_ms`: what the caller heard, never past what the model sent. */
  audioEndMs: number;
  /** Audio the model had sent for the item (ms), for cutting its transcript in proportion. */
  sentMs: number;
  /** False for an item of a retired model connection: the current one knows it only as replayed text. */
  send: boolean;
}

/** What the session needs to know of the model connection. */
export interface ModelItems {
  audioMsOf(itemId: string): number;
  knowsItem(itemId: string): boolean;
}

/**
 * What a barge-in cuts. `heard` is where the caller's playback stood when it was cleared; `streaming` the item the
 * model is still producing, if any; `lastSent` the last item whose audio went to the caller.
 *
 * - The item being heard is cut at the heard position, clamped to what the model sent (the server rejects more).
 * - An item still streaming that the caller has not begun to hear is cut at 0: the model said none of it. If nothing
 *   was pending at the caller and that item is the last one sent, the caller heard all of it that was sent.
 */
export function truncationsFor(heard: HeardPosition | undefined, streaming: string | undefined, lastSent: string | undefined, model: ModelItems): Truncation[] {
  const out: Truncation[] = [];
  if (heard) {
    const sentMs = model.audioMsOf(heard.itemId);
    out.push({ itemId: heard.itemId, audioEndMs: Math.min(heard.heardMs, sentMs), sentMs, send: model.knowsItem(heard.itemId) });
  }
  if (streaming && streaming !== heard?.itemId) {
    const sentMs = model.audioMsOf(streaming);
    out.push({ itemId: streaming, audioEndMs: !heard && streaming === lastSent ? sentMs : 0, sentMs, send: true });
  }
  return out;
}
