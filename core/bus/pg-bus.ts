import type { Sql } from 'postgres';
import type { Bus, BusChannel } from '../bus.ts';
import type { Logger } from '../log.ts';
import { encodeBusPayload, pgChannel } from './bus-payload.ts';
import { deliver } from './local-bus.ts';

type Handler = (payload: Record<string, unknown>) => void;

/** Sent to a channel's subscribers when its LISTEN connection comes back: what was published meanwhile is lost. */
export const RESYNC_PAYLOAD = Object.freeze({ resync: true });

interface ChannelState {
  handlers: Set<Handler>;
  listening: Promise<{ unlisten(): Promise<void> }>;
  connects: number;
}

/**
 * Postgres LISTEN/NOTIFY: a message published by any instance reaches every instance's subscribers (its own too, by
 * way of the server, so every instance sees one order). postgres.js keeps one dedicated LISTEN connection and
 * re-establishes it after a drop; subscribers then get `{ resync: true }` so they can re-read what they cache.
 */
export class PgBus implements Bus {
  readonly #sql: Sql;
  readonly #log: Logger;
  readonly #channels = new Map<BusChannel, ChannelState>();
  #closed = false;

  constructor(sql: Sql, log: Logger) {
    this.#sql = sql;
    this.#log = log.child({ component: 'bus', bus: 'postgres' });
  }

  async publish(channel: BusChannel, payload: Record<string, unknown>): Promise<void> {
    if (this.#closed) return;
    const text = encodeBusPayload(channel, payload);
    await this.#sql.notify(pgChannel(channel), text);
  }

  subscribe(channel: BusChannel, handler: Handler): () => void {
    const state = this.#channels.get(channel) ?? this.#listen(channel);
    state.handlers.add(handler);
    return () => {
      state.handlers.delete(handler);
    };
  }

  /** Resolves once the channel's LISTEN is in place (a publish before that may not be seen by this instance). */
  async listening(channel: BusChannel): Promise<void> {
    await (this.#channels.get(channel) ?? this.#listen(channel)).listening;
  }

  #listen(channel: BusChannel): ChannelState {
    const state: ChannelState = { handlers: new Set(), connects: 0, listening: undefined as never };
    this.#channels.set(channel, state);
    this.#start(channel, state, 0);
    return state;
  }

  /** postgres.js reconnects an established listener itself; a first LISTEN that fails is retried here. */
  #start(channel: BusChannel, state: ChannelState, attempt: number): void {
    state.listening = this.#sql.listen(
      pgChannel(channel),
      (text) => deliver(this.#log, channel, state.handlers, text),
      () => {
        state.connects++;
        if (state.connects > 1 || attempt > 0) {
          this.#log.warn({ channel }, 'bus listener reconnected');
          deliver(this.#log, channel, state.handlers, JSON.stringify(RESYNC_PAYLOAD));
        }
      },
    );
    state.listening.catch((err: unknown) => {
      if (this.#closed) return;
      this.#log.error({ channel, err, attempt }, 'bus listen failed; retrying');
      const timer = setTimeout(() => {
        if (!this.#closed && this.#channels.get(channel) === state) this.#start(channel, state, attempt + 1);
      }, Math.min(5000, 250 * 2 ** attempt));
      timer.unref();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const states = [...this.#channels.values()];
    this.#channels.clear();
    await Promise.all(
      states.map((s) =>
        s.listening.then(
          (l) => l.unlisten().catch(() => {}),
          () => {},
        ),
      ),
    );
  }
}
