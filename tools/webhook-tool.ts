import { z } from 'zod';
import { ToolError } from '../core/errors.ts';
import { defineTool, type Tool } from './define-tool.ts';
import { DEFAULT_MAX_RESPONSE_BYTES, httpCall } from './http-call.ts';
import type { HeaderValue, WebhookToolDefinition } from './tool-definition.ts';

/** Where secret header values come from; tests pass their own record instead of process.env. */
export type SecretEnv = Readonly<Record<string, string | undefined>>;

/**
 * A tool from an admin's definition. Arguments are checked against the definition's JSON Schema (converted once by
 * zod's `fromJSONSchema`) by the registry before any request; GET and DELETE send them as the query string, other
 * methods as a JSON body. The call's session id and call SID go along as headers; the caller's number does not
 * (it is personal data, and an admin webhook is not ours).
 */
export function webhookTool(def: WebhookToolDefinition, env: SecretEnv = process.env): Tool {
  const { $schema: _, ...modelSchema } = def.parameters;
  return defineTool(
    {
      name: def.name,
      description: def.description,
      parameters: z.fromJSONSchema(def.parameters),
      timeoutMs: def.timeoutMs,
      async run(args, ctx) {
        const headers = resolveHeaders(def.headers, env);
        headers['x-voxbridge-session-id'] = ctx.sessionId;
        if (ctx.callSid) headers['x-voxbridge-call-sid'] = ctx.callSid;
        const url = new URL(def.url);
        let body: string | undefined;
        if (def.method === 'GET' || def.method === 'DELETE') {
          for (const [k, v] of Object.entries(asObject(args))) {
            url.searchParams.set(k, typeof v === 'string' ? v : JSON.stringify(v));
          }
        } else {
          body = JSON.stringify(args ?? {});
          headers['content-type'] = 'application/json';
        }
        const res = await httpCall({
          url: url.href,
          method: def.method,
          headers,
          body,
          signal: ctx.signal,
          timeoutMs: def.timeoutMs,
          maxBytes: DEFAULT_MAX_RESPONSE_BYTES,
          expect: 'auto',
        });
        return res.body ?? { ok: true, status: res.status };
      },
    },
    modelSchema,
  );
}

/** Literal headers as they are, `{env}` ones read now (so a rotated secret needs no reload); a missing one fails. */
export function resolveHeaders(headers: Record<string, HeaderValue>, env: SecretEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') {
      out[name] = value;
      continue;
    }
    const secret = env[value.env];
    if (!secret) throw new ToolError('tool_failed', `header ${name} needs ${value.env}, which is not set`);
    out[name] = secret;
  }
  return out;
}

function asObject(args: unknown): Record<string, unknown> {
  return typeof args === 'object' && args !== null && !Array.isArray(args) ? (args as Record<string, unknown>) : {};
}
