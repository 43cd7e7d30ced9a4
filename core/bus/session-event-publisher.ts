import type { Bus } from '../bus.ts';
import type { Logger } from '../log.ts';
import type { SessionEvent, SessionSink } from '../session-events.ts';
import { MAX_BUS_PAYLOAD_BYTES } from './bus-payload.ts';

/** Text fields cut to this many characters on the bus (the stored log keeps them whole). */
const MAX_TEXT = 2000;
/** Room left in a message for the `{"events":[…]}` wrapper. */
const MAX_BATCH_BYTES = MAX_BUS_PAYLOAD_BYTES - 64;

export interface SessionEventPublisherOptions {
  /** How long events gather before they are sent as one message (default 50 ms). */
  gatherMs?: number;
  /** Messages sent but not yet answered; past this a batch is dropped and counted (default 200). */
  maxInFlight?: number;
}

/**
 * A sink that puts session events on the bus channel `session` for live views on every instance, as
 * `{ events: SessionEvent[] }`: the events of up to `gatherMs`, as many as fit under NOTIFY's limit, so 200 calls
 * cost a few NOTIFYs a second rather than one per event. The bus is a live feed, not storage: a batch that cannot be
 * published (database down, too many in flight) is dropped and counted, never queued behind the call.
 */
export class SessionEventPublisher implements SessionSink {
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #gatherMs: number;
  readonly #maxInFlight: number;
  #pending: Record<string, unknown>[] = [];
  #pendingBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #inFlight = 0;
  #dropped = 0;
  #lastReport = 0;

  constructor(bus: Bus, log: Logger, opts: SessionEventPublisherOptions = {}) {
    this.#bus = bus;
    this.#log = log.child({ component: 'session-event-publisher' });
    this.#gatherMs = opts.gatherMs ?? 50;
    this.#maxInFlight = opts.maxInFlight ?? 200;
  }

  /** Events not delivered to the bus (dropped batches' events, unserialisable ones). */
  get dropped(): number {
    return this.#dropped;
  }

  record(event: SessionEvent): void {
    let payload: Record<string, unknown>;
    let bytes: number;
    try {
      payload = busPayloadOf(event);
      bytes = Buffer.byteLength(JSON.stringify(payload)) + 1;
    } catch {
      this.#drop(1, 'event not serialisable');
      return;
    }
    if (this.#pendingBytes + bytes > MAX_BATCH_BYTES) this.#send();
    this.#pending.push(payload);
    this.#pendingBytes += bytes;
    this.#timer ??= setTimeout(() => this.#send(), this.#gatherMs);
  }

  /** Sends what is gathered now (shutdown). */
  flush(): void {
    this.#send();
  }

  #send(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const events = this.#pending;
    if (events.length === 0) return;
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.#inFlight >= this.#maxInFlight) {
      this.#drop(events.length, 'too many publishes in flight');
      return;
    }
    this.#inFlight++;
    this.#bus.publish('session', { events }).then(
      () => {
        this.#inFlight--;
      },
      () => {
        this.#inFlight--;
        this.#drop(events.length, 'publish failed');
      },
    );
  }

  #drop(n: number, reason: string): void {
    this.#dropped += n;
    const now = Date.now();
    if (now - this.#lastReport >= 5000) {
      this.#lastReport = now;
      this.#log.warn({ dropped: this.#dropped, reason }, 'live session events dropped');
    }
  }
}

/** The event as the bus carries it: long text cut, and the whole kept well under NOTIFY's limit. */
export function busPayloadOf(event: SessionEvent): Record<string, unknown> {
  let payload: Record<string, unknown> = { ...event };
  for (const key of ['text', 'arguments', 'output', 'message'] as const) {
    const v = payload[key];
    if (typeof v === 'string' && v.length > MAX_TEXT) payload[key] = `${v.slice(0, MAX_TEXT)}…`;
  }
  if (Buffer.byteLength(JSON.stringify(payload)) > MAX_BATCH_BYTES) {
    // What is left too large is config, metrics or data: say so rather than send a cut-up object.
    payload = { type: event.type, sessionId: event.sessionId, at: event.at, truncated: true };
  }
  return payload;
}
