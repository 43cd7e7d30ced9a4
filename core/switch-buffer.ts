import type { AudioChunk } from './audio-format.ts';

/**
 * Caller audio held while the model connection is replaced (the new one is not open yet), sent to the new one once it
 * opens. Bounded in chunks; past the bound the oldest go, counted, so a long outage costs old audio, not memory.
 */
export class SwitchBuffer {
  #chunks: AudioChunk[] = [];
  #active = false;
  dropped = 0;
  readonly #max: number;

  constructor(maxChunks: number) {
    this.#max = maxChunks;
  }

  get active(): boolean {
    return this.#active;
  }

  get size(): number {
    return this.#chunks.length;
  }

  start(): void {
    this.#active = true;
  }

  push(chunk: AudioChunk): void {
    if (this.#chunks.length >= this.#max) {
      this.#chunks.shift();
      this.dropped++;
    }
    this.#chunks.push(chunk);
  }

  /** Ends holding; returns what was held, oldest first. */
  stop(): AudioChunk[] {
    this.#active = false;
    const out = this.#chunks;
    this.#chunks = [];
    return out;
  }
}
