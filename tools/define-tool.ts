import { z } from 'zod';
import type { ToolCallContext, ToolSchema } from '../core/tool-registry.ts';

/** OpenAI's rule for function names; a name outside it is refused by the model API. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** What a tool is given besides its arguments. `signal` already carries the tool's own timeout. */
export type ToolContext = ToolCallContext;

export interface ToolSpec<S extends z.ZodType> {
  name: string;
  description: string;
  /** Validates the model's arguments before `run`; its JSON Schema is what the model is shown. */
  parameters: S;
  /** Past this the call is answered as a timeout and `ctx.signal` aborts. */
  timeoutMs: number;
  /** The result: a string goes to the model as is, anything else is JSON-encoded once. */
  run(args: z.output<S>, ctx: ToolContext): Promise<unknown>;
}

/** A tool the registry can offer and run, whatever its arguments' type. */
export interface Tool {
  readonly name: string;
  readonly description: string;
  readonly parameters: z.ZodType;
  readonly timeoutMs: number;
  /** The `tools` entry of `session.update`, computed once. */
  readonly schema: ToolSchema;
  run(args: unknown, ctx: ToolContext): Promise<unknown>;
}

/**
 * Makes a tool from a zod-typed spec. `jsonSchema` overrides the schema derived from zod: a webhook tool shows the
 * model the admin's JSON Schema as written rather than a round trip of it through zod.
 */
export function defineTool<S extends z.ZodType>(spec: ToolSpec<S>, jsonSchema?: Record<string, unknown>): Tool {
  if (!TOOL_NAME.test(spec.name)) throw new TypeError(`invalid tool name: ${spec.name}`);
  const parameters = jsonSchema ?? modelJsonSchema(spec.parameters);
  return {
    name: spec.name,
    description: spec.description,
    parameters: spec.parameters,
    timeoutMs: spec.timeoutMs,
    schema: { type: 'function', name: spec.name, description: spec.description, parameters },
    // The registry validated `args` against `parameters` before calling, so the cast only restores the type.
    run: (args, ctx) => spec.run(args as z.output<S>, ctx),
  };
}

/** JSON Schema of the input a zod schema accepts, without the `$schema` tag the model does not need. */
export function modelJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return rest;
}
