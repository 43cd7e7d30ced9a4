import type { RealtimeLeg } from './realtime/realtime-leg.ts';

interface Warm {
  leg: RealtimeLeg;
  timer: NodeJS.Timeout;
}

/**
 * Model sockets opened when a call is announced (`/twiml`), waiting for the call's media stream to claim them by
 * CallSid. Bounded in count and time: an unclaimed socket is closed after `ttlMs`.
 */
export class ModelPrewarm {
  #warm = new Map<string, Warm>();

  constructor(
    private readonly maxEntries = 500,
    private readonly ttlMs = 15_000,
  ) {}

  get size(): number {
    return this.#warm.size;
  }

  has(callSid: string): boolean {
    return this.#warm.has(callSid);
  }

  put(callSid: string, leg: RealtimeLeg): void {
    if (this.#warm.has(callSid)) {
      leg.close('duplicate prewarm');
      return;
    }
    if (this.#warm.size >= this.maxEntries) {
      const oldest = this.#warm.keys().next().value;
      if (oldest !== undefined) this.take(oldest)?.close('prewarm evicted');
    }
    const timer = setTimeout(() => this.take(callSid)?.close('prewarm unclaimed'), this.ttlMs);
    timer.unref();
    this.#warm.set(callSid, { leg, timer });
  }

  take(callSid: string): RealtimeLeg | undefined {
    const w = this.#warm.get(callSid);
    if (!w) return undefined;
    this.#warm.delete(callSid);
    clearTimeout(w.timer);
    return w.leg;
  }

  closeAll(): void {
    for (const callSid of [...this.#warm.keys()]) this.take(callSid)?.close('shutdown');
  }
}
