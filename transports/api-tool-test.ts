import { randomUUID } from 'node:crypto';
import type uWS from 'uWebSockets.js';
import type { ToolCallContext, ToolResult } from '../core/tool-registry.ts';
import { type ApiRouteDeps, apiRoute } from './api-route.ts';
import { HttpError, readBody, sendJson } from './http.ts';

/** Test arguments are a model's arguments: small. */
const BODY_LIMIT = 64 * 1024;

export interface ToolTestDeps extends ApiRouteDeps {
  /** The registry (`LiveToolRegistry.test`): runs any tool, disabled ones too, and never throws. */
  tools: { test(name: string, args: unknown, ctx: ToolCallContext): Promise<ToolResult> };
}

/**
 * `POST /api/tools/:name/test` — body: the arguments object. Runs the tool as the model would (same validation,
 * timeout and output) outside any call and answers `{name, ok, output, result?, error?, durationMs}`; a tool that
 * fails is still a 200 (the failure is the answer), an unknown tool a 404. Admin token required (`apiRoute`). The
 * dry run has no call SID, so the call-control tools refuse rather than hang up someone's real call.
 */
export function registerToolTestRoute(app: uWS.TemplatedApp, deps: ToolTestDeps): void {
  app.post(
    '/api/tools/:name/test',
    apiRoute(deps, async ({ r, params }) => {
      const body = readBody(r, BODY_LIMIT);
      body.catch(() => {}); // awaited below; a bad name must not leave it unhandled
      const name = decodeName(params[0] ?? '');
      const args = parseArguments(await body);
      const ctx: ToolCallContext = {
        sessionId: `tool-test-${randomUUID()}`,
        kind: 'browser',
        signal: new AbortController().signal,
        log: deps.log.child({ route: 'tool-test', tool: name }),
        playbackDone: async () => {},
      };
      const result = await deps.tools.test(name, args, ctx);
      if (result.errorCode === 'tool_unknown') throw new HttpError(404, 'not_found', `unknown tool: ${name}`);
      const parsed = parseOutput(result.output);
      sendJson(r, 200, {
        name,
        ok: result.ok,
        output: result.output,
        result: result.ok ? parsed : undefined,
        error: result.ok ? undefined : { code: result.errorCode, message: errorText(parsed) },
        durationMs: Math.round(result.durationMs * 10) / 10,
      });
    }),
  );
}

function parseArguments(body: Buffer): unknown {
  if (body.length === 0) return {};
  let args: unknown;
  try {
    args = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new HttpError(400, 'invalid_body', 'the body must be the arguments object');
  }
  return args;
}

function parseOutput(output: string): unknown {
  try {
    return JSON.parse(output);
  } catch {
    return output;
  }
}

function errorText(parsed: unknown): string {
  const e = (parsed as { error?: unknown } | null)?.error;
  return typeof e === 'string' ? e : 'tool failed';
}

/** Tool names are plain ASCII; a malformed escape is left as typed (and will be an unknown tool). */
function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
