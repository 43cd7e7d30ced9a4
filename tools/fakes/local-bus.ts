import type { Bus, BusChannel } from '../../core/bus.ts';

/** The bus of one process, as the embedded-database mode runs it: what is published reaches every subscriber. */
export function localBus(): Bus & { subscribers(channel: BusChannel): number } {
  const handlers = new Map<BusChannel, Set<(p: Record<string, unknown>) => void>>();
  return {
    async publish(channel, payload) {
      for (const h of handlers.get(channel) ?? []) h(payload);
    },
    subscribe(channel, handler) {
      const set = handlers.get(channel) ?? new Set();
      handlers.set(channel, set);
      set.add(handler);
      return () => set.delete(handler);
    },
    subscribers: (channel) => handlers.get(channel)?.size ?? 0,
    async close() {
      handlers.clear();
    },
  };
}
