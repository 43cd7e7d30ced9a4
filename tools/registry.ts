import type { Bus } from '../core/bus.ts';
import { errorMessage, ToolError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { ToolCallContext, ToolRegistry, ToolResult, ToolSchema } from '../core/tool-registry.ts';
import { TypedEmitter } from '../core/typed-emitter.ts';
import type { Tool, ToolContext } from './define-tool.ts';
import { abortError } from './http-call.ts';
import { webhookToolDefinitionSchema } from './tool-definition.ts';
import { type SecretEnv, webhookTool } from './webhook-tool.ts';

/**
 * The admin-defined tools, as rows of `tool_definitions` (camelCase fields of `WebhookToolDefinition`, disabled
 * ones included). Storage supplies it; the registry re-reads it on every `tools` bus message.
 */
export type DefinitionSource = () => Promise<readonly unknown[]>;

/** A tool's output larger than this is refused rather than cut: half a JSON document misleads the model. */
export const MAX_OUTPUT_CHARS = 64 * 1024;

export interface LiveToolRegistryOptions {
  builtins: readonly Tool[];
  definitions?: DefinitionSource;
  /** Where `{env}` header values are read (default process.env). */
  env?: SecretEnv;
  log: Logger;
}

interface Entry {
  tool: Tool;
  enabled: boolean;
  source: 'builtin' | 'webhook';
}

/** What `GET /tools` shows of a tool. */
export interface ToolListing extends ToolSchema {
  source: 'builtin' | 'webhook';
}

/**
 * Built-in tools plus the enabled admin-defined ones, behind the session's `ToolRegistry` interface. `run` never
 * throws and never lets a tool outlive its timeout or its call; a failure is data for the model.
 */
export class LiveToolRegistry implements ToolRegistry {
  readonly #log: Logger;
  readonly #builtins: ReadonlyMap<string, Entry>;
  readonly #definitions: DefinitionSource | undefined;
  readonly #env: SecretEnv;
  #tools: ReadonlyMap<string, Entry>;
  #version = 0;
  readonly #events = new TypedEmitter<{ changed: [version: number] }>();
  #current: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;

  constructor(opts: LiveToolRegistryOptions) {
    this.#log = opts.log;
    this.#definitions = opts.definitions;
    this.#env = opts.env ?? process.env;
    this.#builtins = new Map(opts.builtins.map((tool) => [tool.name, { tool, enabled: true, source: 'builtin' }]));
    this.#tools = this.#builtins;
  }

  /** A registry with its definitions loaded. */
  static async create(opts: LiveToolRegistryOptions): Promise<LiveToolRegistry> {
    const registry = new LiveToolRegistry(opts);
    await registry.reload();
    return registry;
  }

  /** Bumped on every reload; a session compares it between turns to know whether to resend its tools. */
  get version(): number {
    return this.#version;
  }

  schemas(names: readonly string[]): ToolSchema[] {
    const out: ToolSchema[] = [];
    for (const name of names) {
      const entry = this.#tools.get(name);
      if (entry?.enabled) out.push(entry.tool.schema);
    }
    return out;
  }

  /** Every enabled tool, built-ins first. */
  list(): ToolListing[] {
    return [...this.#tools.values()].filter((e) => e.enabled).map((e) => ({ ...e.tool.schema, source: e.source }));
  }

  has(name: string): boolean {
    return this.#tools.has(name);
  }

  run(name: string, argumentsJson: string, ctx: ToolCallContext): Promise<ToolResult> {
    const started = performance.now();
    const entry = this.#tools.get(name);
    if (!entry?.enabled)
      return Promise.resolve(this.#failed(name, new ToolError('tool_unknown', `unknown tool: ${name}`), started, ctx));
    let args: unknown;
    try {
      args = argumentsJson.trim() === '' ? {} : JSON.parse(argumentsJson);
    } catch {
      const err = new ToolError('tool_invalid_arguments', 'arguments are not valid JSON');
      return Promise.resolve(this.#failed(name, err, started, ctx));
    }
    return this.#execute(entry.tool, args, ctx, started);
  }

  /** Runs any tool, disabled ones too, with arguments already parsed: the admin's "test" button. */
  test(name: string, args: unknown, ctx: ToolCallContext): Promise<ToolResult> {
    const started = performance.now();
    const entry = this.#tools.get(name);
    if (!entry)
      return Promise.resolve(this.#failed(name, new ToolError('tool_unknown', `unknown tool: ${name}`), started, ctx));
    return this.#execute(entry.tool, args, ctx, started);
  }

  async #execute(tool: Tool, rawArgs: unknown, ctx: ToolCallContext, started: number): Promise<ToolResult> {
    const parsed = tool.parameters.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`).join('; ');
      return this.#failed(
        tool.name,
        new ToolError('tool_invalid_arguments', `invalid arguments: ${detail}`),
        started,
        ctx,
      );
    }
    const timeout = AbortSignal.timeout(tool.timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout]);
    const toolCtx: ToolContext = {
      sessionId: ctx.sessionId,
      kind: ctx.kind,
      callSid: ctx.callSid,
      from: ctx.from,
      to: ctx.to,
      log: ctx.log,
      signal,
      playbackDone: () => ctx.playbackDone(),
    };
    try {
      const value = await untilAborted(tool.run(parsed.data, toolCtx), signal);
      const output = toOutput(value);
      const durationMs = performance.now() - started;
      ctx.log.info({ tool: tool.name, ok: true, durationMs: Math.round(durationMs) }, 'tool call');
      return { ok: true, output, durationMs };
    } catch (err) {
      let error: ToolError;
      if (ctx.signal.aborted) error = abortError(ctx.signal);
      else if (timeout.aborted)
        error = new ToolError('tool_timeout', `${tool.name} did not finish within ${tool.timeoutMs} ms`);
      else if (err instanceof ToolError) error = err;
      else {
        // A bug in a tool, not an answer: its message may say things the model should not read.
        ctx.log.warn({ tool: tool.name, err }, 'tool threw');
        error = new ToolError('tool_failed', `${tool.name} failed`);
      }
      return this.#failed(tool.name, error, started, ctx);
    }
  }

  #failed(name: string, err: ToolError, started: number, ctx: ToolCallContext): ToolResult {
    const durationMs = performance.now() - started;
    ctx.log.info({ tool: name, ok: false, errorCode: err.code, durationMs: Math.round(durationMs) }, 'tool call');
    return {
      ok: false,
      output: JSON.stringify({ error: err.message, code: err.code }),
      durationMs,
      errorCode: err.code,
    };
  }

  /**
   * Re-reads the definitions and swaps the set in one step, so a running call sees the old set or the new one,
   * never half of each. Reloads run one at a time and a burst of requests collapses into one more read. A failed
   * read keeps the previous set (and rejects).
   */
  reload(): Promise<void> {
    if (this.#queued) return this.#queued;
    const next = this.#current
      .catch(() => {})
      .then(() => {
        this.#queued = undefined;
        return this.#load();
      });
    this.#queued = next;
    this.#current = next;
    return next;
  }

  async #load(): Promise<void> {
    if (!this.#definitions) return;
    const rows = await this.#definitions();
    const tools = new Map(this.#builtins);
    for (const row of rows) {
      const parsed = webhookToolDefinitionSchema.safeParse(row);
      const name = typeof (row as { name?: unknown })?.name === 'string' ? (row as { name: string }).name : '?';
      if (!parsed.success) {
        this.#log.warn({ tool: name, issues: parsed.error.issues.map((i) => i.message) }, 'tool definition skipped');
        continue;
      }
      if (this.#builtins.has(parsed.data.name)) {
        this.#log.warn({ tool: name }, 'tool definition shadows a built-in; skipped');
        continue;
      }
      try {
        tools.set(parsed.data.name, {
          tool: webhookTool(parsed.data, this.#env),
          enabled: parsed.data.enabled,
          source: 'webhook',
        });
      } catch (err) {
        this.#log.warn({ tool: name, error: errorMessage(err) }, 'tool definition skipped');
      }
    }
    this.#tools = tools;
    this.#version++;
    this.#events.emit('changed', this.#version);
  }

  /** Calls `listener` after each reload has taken effect; returns the unsubscribe function. */
  onChange(listener: (version: number) => void): () => void {
    this.#events.on('changed', listener);
    return () => this.#events.off('changed', listener);
  }

  /** Reloads on every `tools` bus message (storage publishes one per definition change). */
  follow(bus: Bus): () => void {
    return bus.subscribe('tools', () => {
      this.reload().catch((err: unknown) =>
        this.#log.error({ error: errorMessage(err) }, 'tool definitions reload failed'),
      );
    });
  }
}

/** A tool's result as the `function_call_output` string: a string as is, anything else JSON-encoded exactly once. */
export function toOutput(value: unknown): string {
  let output: string;
  if (typeof value === 'string') output = value;
  else if (value === undefined) output = '{"ok":true}';
  else {
    try {
      output = JSON.stringify(value);
    } catch {
      throw new ToolError('tool_failed', 'the result is not JSON-serialisable');
    }
  }
  if (output.length > MAX_OUTPUT_CHARS)
    throw new ToolError('tool_failed', `the result exceeds ${MAX_OUTPUT_CHARS} characters`);
  return output;
}

/** Settles with the promise, or rejects as soon as the signal aborts: a tool that ignores its signal still ends. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
