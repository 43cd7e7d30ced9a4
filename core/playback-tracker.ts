/**
 * Knows how much of each model item the caller has actually heard.
 *
 * The caller's side plays what we send at real time and acknowledges marks as playback reaches them (Twilio echoes
 * `mark`s; the browser reports its playhead). Between acknowledgements the position is interpolated by wall clock and
 * never runs past the next unacknowledged mark, which is as far as the caller can possibly have heard.
 * Acknowledgements of marks dropped by `clear()` are ignored: that audio was never played.
 */
export interface HeardPosition {
  itemId: string;
  /** Milliseconds of the item's audio the caller has heard. */
  heardMs: number;
}

interface PendingMark {
  name: string;
  itemId: string;
  /** Item audio sent up to and including this chunk, in ms. */
  endMs: number;
}

export class PlaybackTracker {
  #pending: PendingMark[] = [];
  #head = 0;
  /** Last acknowledged point: the item, how far into it, and when. */
  #ackItem: string | undefined;
  #ackMs = 0;
  #ackAt = 0;
  /** When the item at the head of the queue began to play (first chunk sent to an idle player, or previous item ended). */
  #headStartAt = 0;
  #idleWaiters: Array<() => void> = [];
  readonly #maxPending: number;

  constructor(maxPending = 8192) {
    this.#maxPending = maxPending;
  }

  get pending(): number {
    return this.#pending.length - this.#head;
  }

  get idle(): boolean {
    return this.pending === 0;
  }

  /** A chunk of `itemId` ending at `endMs` of that item went out, followed by mark `name`. */
  sent(name: string, itemId: string, endMs: number, now: number): void {
    if (this.idle) {
      // The player was starved: playback resumes now, from where the last acknowledgement left it.
      this.#headStartAt = now;
      if (this.#ackItem === itemId) this.#ackAt = now;
      else this.#ackItem = undefined;
    }
    if (this.pending >= this.#maxPending) this.#head++; // oldest mark is forgotten; its echo will be ignored
    this.#pending.push({ name, itemId, endMs });
  }

  /** The caller acknowledged `name`. Returns false for a name not pending (stale echo after a clear, or a spoof). */
  acknowledged(name: string, now: number): boolean {
    let i = this.#head;
    while (i < this.#pending.length && this.#pending[i]!.name !== name) i++;
    if (i === this.#pending.length) return false;
    const mark = this.#pending[i]!;
    this.#head = i + 1;
    this.#ackItem = mark.itemId;
    this.#ackMs = mark.endMs;
    this.#ackAt = now;
    this.#headStartAt = now;
    if (this.#head > 1024) {
      this.#pending = this.#pending.slice(this.#head);
      this.#head = 0;
    }
    if (this.idle) this.#wakeIdle();
    return true;
  }

  /** Where playback is now, or undefined when nothing is playing. */
  position(now: number): HeardPosition | undefined {
    const next = this.#pending[this.#head];
    if (!next) return undefined;
    const elapsed = Math.max(0, now - (this.#ackItem === next.itemId ? this.#ackAt : this.#headStartAt));
    const from = this.#ackItem === next.itemId ? this.#ackMs : this.#startMsOf(next);
    return { itemId: next.itemId, heardMs: Math.min(next.endMs, from + elapsed) };
  }

  /** Playback was cleared: returns what had been heard and forgets everything pending. */
  clear(now: number): HeardPosition | undefined {
    const pos = this.position(now);
    this.#pending = [];
    this.#head = 0;
    this.#ackItem = undefined;
    this.#wakeIdle();
    return pos;
  }

  /** Resolves when everything sent so far has been played (or cleared). */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Where the head mark's chunk begins within its item: the previous mark of the same item, else 0. */
  #startMsOf(mark: PendingMark): number {
    const prev = this.#head > 0 ? this.#pending[this.#head - 1] : undefined;
    return prev && prev.itemId === mark.itemId ? prev.endMs : 0;
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}
