import type { Logger } from './log.ts';

/** A tool as the model sees it (the Realtime `tools` entry). */
export interface ToolSchema {
  type: 'function';
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** What a tool knows of the call it runs in. */
export interface ToolCallContext {
  sessionId: string;
  kind: 'phone' | 'browser';
  callSid?: string;
  /** The caller's number (E.164), when the call came from a phone. */
  from?: string;
  to?: string;
  /** Aborted when the call ends; a tool stops its outbound request then. */
  signal: AbortSignal;
  log: Logger;
  /**
   * Resolves when the audio the caller has been sent so far has played (end_call waits on it so the goodbye is
   * heard); resolves at once where the leg cannot tell.
   */
  playbackDone(): Promise<void>;
}

/** The outcome of one tool call, as stored and as answered to the model. */
export interface ToolResult {
  /** The `function_call_output` string: the tool's result, or `{"error": …}` as JSON text. */
  output: string;
  ok: boolean;
  durationMs: number;
  errorCode?: string;
}

/**
 * What the session needs of tools (`tools/` implements it). `run` never throws: unknown tools, bad arguments,
 * timeouts and failures come back as `{ ok: false, output: '{"error": …}' }` for the model to read.
 */
export interface ToolRegistry {
  /** Schemas of the named tools that exist and are enabled, in the order given. */
  schemas(names: readonly string[]): ToolSchema[];
  run(name: string, argumentsJson: string, ctx: ToolCallContext): Promise<ToolResult>;
}

/** The registry with no tools: every call is answered as unknown. */
export const emptyToolRegistry: ToolRegistry = {
  schemas: () => [],
  run: async (name) => ({
    ok: false,
    durationMs: 0,
    errorCode: 'tool_unknown',
    output: JSON.stringify({ error: `unknown tool: ${name}` }),
  }),
};
