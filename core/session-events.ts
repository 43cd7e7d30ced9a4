/**
 * What a session tells the rest of the system: stored in `session_logs`, published on the bus for dashboards.
 * Every event names its session and carries a wall-clock time (ms since epoch).
 */
export type SessionKind = 'phone' | 'browser';

export interface SessionStarted {
  type: 'session.started';
  sessionId: string;
  kind: SessionKind;
  callSid?: string;
  streamSid?: string;
  from?: string;
  to?: string;
  configName: string;
  config: Record<string, unknown>;
  at: number;
}

export interface TranscriptEvent {
  type: 'transcript';
  sessionId: string;
  role: 'user' | 'assistant';
  itemId: string;
  text: string;
  /** The assistant's words were cut at the truncation point (the caller interrupted). */
  truncated?: boolean;
  at: number;
}

export interface ToolCallEvent {
  type: 'tool_call';
  sessionId: string;
  callId: string;
  name: string;
  arguments: string;
  output: string;
  ok: boolean;
  durationMs: number;
  at: number;
}

/** Anything else worth a line in the call's log: barge-in, dtmf, model reconnect, config applied. */
export interface LifecycleEvent {
  type: 'event';
  sessionId: string;
  name: string;
  data?: Record<string, unknown>;
  at: number;
}

export interface ErrorEvent {
  type: 'error';
  sessionId: string;
  code: string;
  message: string;
  at: number;
}

export interface SessionEnded {
  type: 'session.ended';
  sessionId: string;
  reason: string;
  metrics: Record<string, unknown>;
  usage: Record<string, unknown>;
  at: number;
}

export type SessionEvent = SessionStarted | TranscriptEvent | ToolCallEvent | LifecycleEvent | ErrorEvent | SessionEnded;

/**
 * Where a session's events go. `record` must return at once and never throw: storage and the bus buffer behind it,
 * off the audio path.
 */
export interface SessionSink {
  record(event: SessionEvent): void;
}

export const nullSink: SessionSink = { record() {} };

/** Fans one event out to several sinks; a sink that throws is contained so the others still get it. */
export function fanOut(...sinks: SessionSink[]): SessionSink {
  return {
    record(event) {
      for (const sink of sinks) {
        try {
          sink.record(event);
        } catch {
          // A sink's own failure is its to report; the call must not notice.
        }
      }
    },
  };
}

/** An event before the session stamps it with its id and the time. */
export type SessionEventInput = SessionEvent extends infer E ? (E extends SessionEvent ? Omit<E, 'sessionId' | 'at'> : never) : never;
