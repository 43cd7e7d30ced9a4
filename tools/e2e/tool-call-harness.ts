import { createTestDatabase } from '../../core/db/test-database.ts';
import { createLogger } from '../../core/log.ts';
import type { SimSession } from '../../core/realtime/simulator-session.ts';
import { openStorage, type Storage } from '../../core/storage/storage.ts';
import type { ToolSchema } from '../../core/tool-registry.ts';
import type { SessionEvent, SessionSink, ToolCallEvent } from '../../core/session-events.ts';

/** A sink that keeps what sessions record, in order: the call's log as the session writes it. */
export function recordingSink(): SessionSink & { events: SessionEvent[]; toolCalls(): ToolCallEvent[] } {
  const events: SessionEvent[] = [];
  return {
    events,
    record: (e) => {
      events.push(e);
    },
    toolCalls: () => events.filter((e): e is ToolCallEvent => e.type === 'tool_call'),
  };
}

/** The `function_call_output` items the model received, in order. */
export function functionOutputs(sim: SimSession): { callId: string; output: string }[] {
  return sim.received
    .filter((r) => r.type === 'conversation.item.create')
    .map((r) => r.event.item as { type?: string; call_id?: string; output?: string })
    .filter((item) => item.type === 'function_call_output')
    .map((item) => ({ callId: item.call_id ?? '', output: item.output ?? '' }));
}

/** Client event types the model received, in order, without audio appends. */
export function controlEvents(sim: SimSession): string[] {
  return sim.received.map((r) => r.type).filter((t) => t !== 'input_audio_buffer.append');
}

/** The `tools` of each `session.update` the model received, in order. */
export function offeredToolSchemas(sim: SimSession): ToolSchema[][] {
  return sim.received
    .filter((r) => r.type === 'session.update')
    .map((r) => (r.event.session as { tools?: ToolSchema[] } | undefined)?.tools ?? []);
}

/** Names of the tools offered in each `session.update` the model received. */
export function offeredTools(sim: SimSession): string[][] {
  return offeredToolSchemas(sim).map((tools) => tools.map((t) => t.name));
}

/** Storage on a fresh database of the local PostgreSQL, logs flushed every 20 ms; `close` drops the database. */
export async function openTestStorage(): Promise<{ storage: Storage; close(): Promise<void> }> {
  const tdb = await createTestDatabase('postgres');
  const storage = await openStorage(tdb.config, createLogger('silent'), { logWriter: { flushIntervalMs: 20 } });
  return {
    storage,
    async close() {
      await storage.close();
      await tdb.drop();
    },
  };
}

/** The `tool_call` rows of a session's stored log (`session_logs`), once everything recorded so far is written. */
export async function storedToolCalls(storage: Storage, sessionId: string): Promise<Record<string, unknown>[]> {
  await storage.logWriter.flush();
  const detail = await storage.sessions.get(sessionId);
  return (detail?.logs ?? []).filter((l) => l.kind === 'tool_call').map((l) => l.payload);
}
