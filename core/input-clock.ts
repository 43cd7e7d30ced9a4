/**
 * Maps the model's input audio clock (ms of caller audio sent on this connection, which is what `audio_start_ms` and
 * `audio_end_ms` count) back to the wall-clock time that audio was relayed, so "the caller stopped speaking" is a
 * moment, not the later arrival of `speech_stopped`. A fixed ring: one number pair per chunk, nothing allocated.
 */
const SLOTS = 1024; // ≈ 20 s of 20 ms frames

export class InputClock {
  readonly #endMs = new Float64Array(SLOTS);
  readonly #at = new Float64Array(SLOTS);
  #n = 0;
  #ms = 0;

  /** `ms` of audio went to the model at `at` (performance.now()). */
  push(ms: number, at: number): void {
    this.#ms += ms;
    const i = this.#n % SLOTS;
    this.#endMs[i] = this.#ms;
    this.#at[i] = at;
    this.#n++;
  }

  /** When the audio at `ms` on the clock was relayed; undefined when that is older than the ring or not yet sent. */
  timeAt(ms: number): number | undefined {
    const oldest = Math.max(0, this.#n - SLOTS);
    for (let k = this.#n - 1; k >= oldest; k--) {
      const i = k % SLOTS;
      const start = k === 0 ? 0 : this.#endMs[(k - 1) % SLOTS]!;
      if (ms > start && ms <= this.#endMs[i]!) return this.#at[i]!;
      if (ms > this.#endMs[i]!) return undefined;
    }
    return undefined;
  }

  /** A new model connection counts from zero. */
  reset(): void {
    this.#n = 0;
    this.#ms = 0;
  }
}
