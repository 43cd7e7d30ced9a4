import type { Bus, BusChannel } from '../bus.ts';
import type { Logger } from '../log.ts';
import { encodeBusPayload } from './bus-payload.ts';

type Handler = (payload: Record<string, unknown>) => void;

/**
 * The bus of one process, for embedded PGlite (one process owns the data directory, so every subscriber is here).
 * Delivery is asynchronous and goes through the same JSON encoding as NOTIFY: a handler gets its own copy, never the
 * publisher's object, and never runs inside `publish`.
 */
export class LocalBus implements Bus {
  readonly #handlers = new Map<BusChannel, Set<Handler>>();
  readonly #log: Logger;
  #closed = false;

  constructor(log: Logger) {
    this.#log = log.child({ component: 'bus', bus: 'local' });
  }

  async publish(channel: BusChannel, payload: Record<string, unknown>): Promise<void> {
    if (this.#closed) return;
    const text = encodeBusPayload(channel, payload);
    const handlers = this.#handlers.get(channel);
    if (!handlers || handlers.size === 0) return;
    setImmediate(() => deliver(this.#log, channel, handlers, text));
  }

  subscribe(channel: BusChannel, handler: Handler): () => void {
    let set = this.#handlers.get(channel);
    if (!set) {
      set = new Set();
      this.#handlers.set(channel, set);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#handlers.clear();
  }
}

/** Calls each handler with its own parsed copy; one that throws is logged and the rest still run. */
export function deliver(log: Logger, channel: BusChannel, handlers: Iterable<Handler>, text: string): void {
  for (const handler of [...handlers]) {
    try {
      handler(JSON.parse(text) as Record<string, unknown>);
    } catch (err) {
      log.error({ channel, err }, 'bus handler threw');
    }
  }
}
