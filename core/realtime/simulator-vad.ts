/**
 * Energy-based voice activity detection for the Realtime simulator: a stand-in for the model's server VAD that is
 * deterministic, so tests know to the frame when "speech" starts and stops.
 *
 * Time is the input audio clock (ms of audio received), as the real API's `audio_start_ms` / `audio_end_ms` are.
 */
export interface VadSettings {
  /** 0..1 like the API's threshold; mapped to a level of -60 dBFS (0) to -10 dBFS (1). */
  threshold: number;
  prefixPaddingMs: number;
  silenceDurationMs: number;
}

export type VadEvent = { type: 'started'; audioStartMs: number } | { type: 'stopped'; audioEndMs: number; startMs: number };

export class EnergyVad {
  #settings: VadSettings;
  #levelSq = 0;
  #clockMs = 0;
  #speaking = false;
  #speechStartMs = 0;
  #lastVoiceMs = 0;

  constructor(settings: VadSettings) {
    this.#settings = settings;
    this.configure(settings);
  }

  configure(settings: VadSettings): void {
    this.#settings = settings;
    const dbfs = -60 + 50 * Math.min(1, Math.max(0, settings.threshold));
    const level = 32768 * 10 ** (dbfs / 20);
    this.#levelSq = level * level;
  }

  get clockMs(): number {
    return this.#clockMs;
  }

  get speaking(): boolean {
    return this.#speaking;
  }

  /** Feeds PCM samples at `rate`; returns the event this piece caused, if any (at most one per 10 ms window). */
  push(samples: Int16Array, rate: number, out: VadEvent[]): void {
    const win = rate / 100; // 10 ms windows: fine enough for barge-in, coarse enough to ignore clicks
    for (let start = 0; start < samples.length; start += win) {
      const end = Math.min(samples.length, start + win);
      let sum = 0;
      for (let i = start; i < end; i++) {
        const s = samples[i]!;
        sum += s * s;
      }
      const n = end - start;
      const windowMs = (n / rate) * 1000;
      const voiced = n > 0 && sum / n > this.#levelSq;
      const t = this.#clockMs;
      this.#clockMs += windowMs;
      if (voiced) {
        this.#lastVoiceMs = this.#clockMs;
        if (!this.#speaking) {
          this.#speaking = true;
          this.#speechStartMs = Math.max(0, t - this.#settings.prefixPaddingMs);
          out.push({ type: 'started', audioStartMs: Math.round(this.#speechStartMs) });
        }
      } else if (this.#speaking && this.#clockMs - this.#lastVoiceMs >= this.#settings.silenceDurationMs) {
        this.#speaking = false;
        out.push({ type: 'stopped', audioEndMs: Math.round(this.#clockMs), startMs: Math.round(this.#speechStartMs) });
      }
    }
  }
}
