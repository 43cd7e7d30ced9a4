/**
 * The bus carries config changes and live session events to every instance (DESIGN.md, "Process model").
 * Postgres LISTEN/NOTIFY with a real server; in-process with embedded PGlite, where LISTEN does not pass the socket.
 */
export type BusChannel = 'config' | 'tools' | 'session';

export interface BusMessage {
  channel: BusChannel;
  /** JSON-serialisable; keep under 7 kB (NOTIFY's payload limit is 8000 bytes). */
  payload: Record<string, unknown>;
}

export interface Bus {
  publish(channel: BusChannel, payload: Record<string, unknown>): Promise<void>;
  /** Returns the unsubscribe function. Handlers run on the event loop and must not throw. */
  subscribe(channel: BusChannel, handler: (payload: Record<string, unknown>) => void): () => void;
  close(): Promise<void>;
}
