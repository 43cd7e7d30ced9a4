import type { Logger } from './log.ts';
import type { FunctionCall } from './realtime/realtime-leg.ts';
import type { ToolCallContext, ToolRegistry, ToolResult } from './tool-registry.ts';

/** A tool that outlives this is answered as timed out, whatever the registry does: the turn must not hang. */
const HARD_TIMEOUT_MS = 60_000;

/**
 * Runs a session's tool calls through the registry: each call id once (both completion events announce a call, and
 * a replayed conversation must not re-run one), never throwing, never outliving the call or a hard bound. The
 * registry validates arguments and applies each tool's own timeout; this is the backstop.
 */
export class ToolRunner {
  readonly #seen = new Set<string>();
  readonly #registry: ToolRegistry;
  readonly #log: Logger;
  readonly #hardTimeoutMs: number;

  constructor(registry: ToolRegistry, log: Logger, hardTimeoutMs = HARD_TIMEOUT_MS) {
    this.#registry = registry;
    this.#log = log;
    this.#hardTimeoutMs = hardTimeoutMs;
  }

  /** False when this call id was already run (a duplicate announcement). */
  claim(callId: string): boolean {
    if (this.#seen.has(callId)) return false;
    this.#seen.add(callId);
    if (this.#seen.size > 512) this.#seen.delete(this.#seen.values().next().value!);
    return true;
  }

  async run(call: FunctionCall, ctx: ToolCallContext): Promise<ToolResult> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const backstop = new Promise<ToolResult>((resolve) => {
      timer = setTimeout(
        () => resolve(failed('tool_timeout', `${call.name} did not finish in time`, started)),
        this.#hardTimeoutMs,
      );
    });
    try {
      const result = await Promise.race([this.#registry.run(call.name, call.arguments, ctx), backstop]);
      // The output goes to the model as the string it is; a registry that returned anything else is encoded once.
      if (typeof result.output !== 'string') return { ...result, output: JSON.stringify(result.output) };
      return result;
    } catch (err) {
      this.#log.warn({ tool: call.name, err }, 'tool registry threw');
      return failed('tool_failed', `${call.name} failed`, started);
    } finally {
      clearTimeout(timer);
    }
  }
}

function failed(code: string, message: string, started: number): ToolResult {
  return { ok: false, output: JSON.stringify({ error: message, code }), durationMs: performance.now() - started, errorCode: code };
}
