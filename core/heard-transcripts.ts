import { cutTranscript } from './transcript-cut.ts';

const MAX_HELD = 32;

interface Cut {
  heardMs: number;
  totalMs: number;
}

/**
 * The assistant's transcripts as the caller heard them. The model finishes a transcript long before the caller has
 * heard its audio (it generates faster than real time), so a transcript is held while its audio is still playing and
 * released whole once playback has caught up, or cut at the truncation point when the caller interrupts.
 */
export class HeardTranscripts {
  readonly #held = new Map<string, { text: string; totalMs: number }>();
  readonly #cuts = new Map<string, Cut>();
  readonly #emit: (itemId: string, text: string, truncated: boolean) => void;

  constructor(emit: (itemId: string, text: string, truncated: boolean) => void) {
    this.#emit = emit;
  }

  get held(): number {
    return this.#held.size;
  }

  /** The model's transcript of `itemId` (whose audio lasts `totalMs`); `playing` while the caller still hears audio. */
  arrived(itemId: string, text: string, totalMs: number, playing: boolean): void {
    const cut = this.#cuts.get(itemId);
    if (cut) this.#emit(itemId, cutTranscript(text, cut.heardMs, Math.max(cut.totalMs, totalMs)), true);
    else if (playing) {
      this.#held.set(itemId, { text, totalMs });
      // Bounded: a line that never falls quiet must not hold every answer of the call. The oldest held answer has
      // long been played by the time this many follow it.
      if (this.#held.size > MAX_HELD) {
        const [oldest, h] = this.#held.entries().next().value!;
        this.#held.delete(oldest);
        this.#emit(oldest, h.text, false);
      }
    }
    else this.#emit(itemId, text, false);
  }

  /** Everything sent to the caller so far has played. */
  played(): void {
    for (const [id, h] of this.#held) this.#emit(id, h.text, false);
    this.#held.clear();
  }

  /**
   * The caller interrupted, having heard `heardMs` of `itemId`. Held items before it were heard whole; those after it
   * not at all. A transcript that arrives later is cut by the same measure.
   */
  cut(itemId: string, heardMs: number, totalMs: number): void {
    this.#cuts.set(itemId, { heardMs, totalMs });
    if (this.#cuts.size > 32) this.#cuts.delete(this.#cuts.keys().next().value!);
    if (!this.#held.has(itemId)) return;
    let after = false;
    for (const [id, h] of this.#held) {
      if (id === itemId) {
        this.#emit(id, cutTranscript(h.text, heardMs, Math.max(totalMs, h.totalMs)), true);
        after = true;
      } else if (after) this.#emit(id, '', true);
      else this.#emit(id, h.text, false);
    }
    this.#held.clear();
  }

  /** The cut applied to an item, if the caller interrupted it. */
  cutOf(itemId: string): Cut | undefined {
    return this.#cuts.get(itemId);
  }
}
