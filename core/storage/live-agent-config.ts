import type { AgentConfig } from '../agent-config.ts';
import type { Bus } from '../bus.ts';
import type { Logger } from '../log.ts';
import type { AgentConfigStore, StoredAgentConfig } from './agent-config-store.ts';

export type AgentConfigListener = (config: AgentConfig, version: number) => void;

/**
 * This instance's copy of the active agent config, kept current from the bus: any instance's save publishes
 * `{ version }` on `config` (NOTIFY carries at most 8 kB and instructions may be 20 kB, so the message names the
 * version and each instance reads it). New calls read `current()`; live sessions `subscribe` and apply a change
 * between turns.
 */
export class LiveAgentConfig {
  readonly #store: AgentConfigStore;
  readonly #log: Logger;
  readonly #listeners = new Set<AgentConfigListener>();
  #stored: StoredAgentConfig;
  #unsubscribe: () => void = () => {};
  #reading: Promise<void> | undefined;
  #again = false;

  private constructor(store: AgentConfigStore, log: Logger, initial: StoredAgentConfig) {
    this.#store = store;
    this.#log = log.child({ component: 'live-agent-config' });
    this.#stored = initial;
  }

  /** Reads the active config and follows the bus. Subscribes first, so a save during the read is not missed. */
  static async start(store: AgentConfigStore, bus: Bus, log: Logger): Promise<LiveAgentConfig> {
    let live: LiveAgentConfig | undefined;
    const pending: Record<string, unknown>[] = [];
    const unsubscribe = bus.subscribe('config', (payload) => (live ? live.#onMessage(payload) : pending.push(payload)));
    try {
      live = new LiveAgentConfig(store, log, await store.active());
    } catch (err) {
      unsubscribe();
      throw err;
    }
    live.#unsubscribe = unsubscribe;
    for (const p of pending) live.#onMessage(p);
    return live;
  }

  current(): AgentConfig {
    return this.#stored.config;
  }

  version(): number {
    return this.#stored.version;
  }

  /** Calls `listener` with each new active config; returns the unsubscribe function. */
  subscribe(listener: AgentConfigListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Re-reads the active config now (reads run one at a time; a burst of requests collapses into one more read). */
  refresh(): Promise<void> {
    if (this.#reading) {
      this.#again = true;
      return this.#reading;
    }
    this.#reading = this.#read().finally(() => {
      this.#reading = undefined;
      if (this.#again) {
        this.#again = false;
        void this.refresh();
      }
    });
    return this.#reading;
  }

  close(): void {
    this.#unsubscribe();
    this.#listeners.clear();
  }

  #onMessage(payload: Record<string, unknown>): void {
    // A message naming the version we hold is our own echo or a duplicate; anything else (a new version, a restore,
    // a resync after the listener reconnected) means read.
    if (payload.version === this.#stored.version) return;
    this.refresh().catch(() => {});
  }

  async #read(): Promise<void> {
    let next: StoredAgentConfig;
    try {
      next = await this.#store.active();
    } catch (err) {
      this.#log.error({ err }, 'agent config reload failed; keeping the current one');
      throw err;
    }
    if (next.version === this.#stored.version) return;
    this.#stored = next;
    this.#log.info({ version: next.version }, 'agent config changed');
    for (const listener of [...this.#listeners]) {
      try {
        listener(next.config, next.version);
      } catch (err) {
        this.#log.error({ err }, 'agent config listener threw');
      }
    }
  }
}
