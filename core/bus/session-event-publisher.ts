import type { Bus } from '../bus.ts';
import type { Logger } from '../log.ts';
import type { SessionEvent, SessionSink } from '../session-events.ts';
import { MAX_BUS_PAYLOAD_BYTES } from './bus-payload.ts';

/** Text fields cut to this many characters on the bus (the stored log keeps them whole). */
const MAX_TEXT = 2000;

export interface SessionEventPublisherOptions {
  /** Publishes not yet answered; beyond this, events are dropped and counted (default 2000). */
  maxInFlight?: number;
}

/**
 * A sink that puts each session event on the bus channel `session` for live views on every instance. The bus is a
 * live feed, not storage: an event that cannot be published (database down, too many in flight) is dropped and
 * counted, never queued behind the call.
 */
export class SessionEventPublisher implements SessionSink {
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #maxInFlight: number;
  #inFlight = 0;
  #dropped = 0;
  #lastReport = 0;

  constructor(bus: Bus, log: Logger, opts: SessionEventPublisherOptions = {}) {
    this.#bus = bus;
    this.#log = log.child({ component: 'session-event-publisher' });
    this.#maxInFlight = opts.maxInFlight ?? 2000;
  }

  get dropped(): number {
    return this.#dropped;
  }

  record(event: SessionEvent): void {
    if (this.#inFlight >= this.#maxInFlight) {
      this.#drop('too many publishes in flight');
      return;
    }
    let payload: Record<string, unknown>;
    try {
      payload = busPayloadOf(event);
    } catch {
      this.#drop('event not serialisable');
      return;
    }
    this.#inFlight++;
    this.#bus.publish('session', payload).then(
      () => {
        this.#inFlight--;
      },
      () => {
        this.#inFlight--;
        this.#drop('publish failed');
      },
    );
  }

  #drop(reason: string): void {
    this.#dropped++;
    const now = Date.now();
    if (now - this.#lastReport >= 5000) {
      this.#lastReport = now;
      this.#log.warn({ dropped: this.#dropped, reason }, 'live session events dropped');
    }
  }
}

/** The event as the bus carries it: long text cut, and the whole kept under NOTIFY's limit. */
export function busPayloadOf(event: SessionEvent): Record<string, unknown> {
  let payload: Record<string, unknown> = { ...event };
  for (const key of ['text', 'arguments', 'output', 'message'] as const) {
    const v = payload[key];
    if (typeof v === 'string' && v.length > MAX_TEXT) payload[key] = `${v.slice(0, MAX_TEXT)}…`;
  }
  if (Buffer.byteLength(JSON.stringify(payload)) > MAX_BUS_PAYLOAD_BYTES) {
    // What is left too large is config, metrics or data: say so rather than send a cut-up object.
    payload = { type: event.type, sessionId: event.sessionId, at: event.at, truncated: true };
  }
  return payload;
}
