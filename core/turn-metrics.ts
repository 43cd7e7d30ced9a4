import type { CallerLegCounters } from './caller-leg.ts';

/** One turn's figures, as the `turn` session event carries them. */
export interface TurnRecord {
  turn: number;
  userItemId?: string;
  /** Caller stopped speaking → first model audio sent to the caller. */
  voiceToVoiceMs?: number;
  /** The caller interrupted: the item and how much of it was heard (the truncate's `audio_end_ms`). */
  truncatedItemId?: string;
  truncatedAtMs?: number;
  tools: Array<{ name: string; ms: number; ok: boolean }>;
  framesIn: number;
  framesOut: number;
  framesDropped: number;
}

/**
 * Per-turn metrics. A turn runs from the caller starting to speak (or the call starting, for a greeting) to the next
 * time they start speaking; its figures are handed to `emit` when it closes.
 */
export class TurnMetrics {
  #turn = 0;
  #current: TurnRecord;
  #base = { in: 0, out: 0, dropped: 0 };
  readonly #emit: (t: TurnRecord) => void;

  constructor(emit: (t: TurnRecord) => void) {
    this.#emit = emit;
    this.#current = this.#fresh(undefined);
  }

  get current(): TurnRecord {
    return this.#current;
  }

  /** The caller started speaking: the previous turn ends, a new one begins. */
  next(userItemId: string, counters: CallerLegCounters, modelDropped: number): void {
    this.close(counters, modelDropped);
    this.#turn++;
    this.#current = this.#fresh(userItemId);
  }

  voiceToVoice(ms: number): void {
    this.#current.voiceToVoiceMs ??= Math.round(ms * 1000) / 1000;
  }

  truncated(itemId: string, ms: number): void {
    this.#current.truncatedItemId = itemId;
    this.#current.truncatedAtMs = Math.round(ms);
  }

  tool(name: string, ms: number, ok: boolean): void {
    this.#current.tools.push({ name, ms: Math.round(ms * 10) / 10, ok });
  }

  /** Closes the current turn (if anything happened in it) and hands it out. */
  close(counters: CallerLegCounters, modelDropped: number): void {
    const t = this.#current;
    t.framesIn = counters.framesIn - this.#base.in;
    t.framesOut = counters.framesOut - this.#base.out;
    t.framesDropped = counters.dropped + modelDropped - this.#base.dropped;
    this.#base = { in: counters.framesIn, out: counters.framesOut, dropped: counters.dropped + modelDropped };
    if (t.framesIn + t.framesOut > 0 || t.tools.length > 0 || t.userItemId) this.#emit(t);
    this.#current = this.#fresh(t.userItemId);
  }

  #fresh(userItemId: string | undefined): TurnRecord {
    return { turn: this.#turn, userItemId, tools: [], framesIn: 0, framesOut: 0, framesDropped: 0 };
  }
}
