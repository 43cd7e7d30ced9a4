import { EventEmitter } from 'node:events';

/** An event map: event name → the listener's argument tuple. */
export type EventMap = { [event: string]: unknown[] };

/**
 * EventEmitter with a typed map (mediasoup's `EnhancedEventEmitter` pattern). Listener errors are not caught here:
 * whoever owns the emitter decides what a throwing listener means.
 */
export class TypedEmitter<E extends EventMap> {
  readonly #ee = new EventEmitter();

  constructor() {
    // A session wires a handful of listeners per event; more means a leak, which Node will warn about past this.
    this.#ee.setMaxListeners(32);
  }

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#ee.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#ee.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#ee.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    // Node's EventEmitter throws an 'error' nobody listens to, which from a socket callback ends the process. Here
    // 'error' is an event like the others (a leg not yet claimed by a session has no listeners): unheard, it is dropped.
    if (event === 'error' && this.#ee.listenerCount('error') === 0) return false;
    return this.#ee.emit(event, ...args);
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#ee.listenerCount(event);
  }

  removeAllListeners(): void {
    this.#ee.removeAllListeners();
  }
}
