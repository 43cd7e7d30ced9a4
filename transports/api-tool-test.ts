import { randomUUID } from 'node:crypto';
import type uWS from 'uWebSockets.js';
import type { Logger } from '../core/log.ts';
import type { ToolCallContext, ToolResult } from '../core/tool-registry.ts';
import { HttpError, type Reply, readBody, reply, sendError, sendJson } from './http.ts';

/** Test arguments are a model's arguments: small. */
const BODY_LIMIT = 64 * 1024;

export interface ToolTestDeps {
  /** The registry (`LiveToolRegistry.test`): runs any tool, disabled ones too, and never throws. */
  tools: { test(name: string, args: unknown, ctx: ToolCallContext): Promise<ToolResult> };
  log: Logger;
  /** Whether the request's `Authorization` header carries the admin token (read before any await). */
  authorize(authorization: string): boolean;
}

/**
 * `POST /api/tools/:name/test` — body: the arguments object. Runs the tool as the model would (same validation,
 * timeout and output) outside any call and answers `{name, ok, output, result, error?, durationMs}`; a tool that
 * fails is still a 200 (the failure is the answer), an unknown tool a 404. The dry run has no call SID, so the
 * call-control tools refuse rather than hang up someone's real call.
 */
export function registerToolTestRoute(app: uWS.TemplatedApp, deps: ToolTestDeps): void {
  app.post('/api/tools/:name/test', (res, req) => {
    const r = reply(res);
    // uWS request objects die at the first await: read everything now.
    const name = decodeName(req.getParameter(0) ?? '');
    const authorization = req.getHeader('authorization');
    handle(r, name, authorization, deps).catch((err: unknown) => {
      if (err instanceof HttpError) return sendError(r, err);
      deps.log.error({ err }, 'tool test failed');
      sendError(r, new HttpError(500, 'internal', 'internal error'));
    });
  });
}

async function handle(r: Reply, name: string, authorization: string, deps: ToolTestDeps): Promise<void> {
  if (!deps.authorize(authorization)) {
    // Drain nothing: uWS discards the unread body when the response ends.
    throw new HttpError(401, 'unauthorized', 'admin token required');
  }
  const body = await readBody(r, BODY_LIMIT);
  let args: unknown = {};
  if (body.length > 0) {
    try {
      args = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(400, 'invalid_json', 'request body is not valid JSON');
    }
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new HttpError(400, 'invalid_body', 'the body must be the arguments object');
  }
  const ctx: ToolCallContext = {
    sessionId: `tool-test-${randomUUID()}`,
    kind: 'browser',
    signal: new AbortController().signal,
    log: deps.log.child({ route: 'tool-test', tool: name }),
    playbackDone: async () => {},
  };
  const result = await deps.tools.test(name, args, ctx);
  if (result.errorCode === 'tool_unknown') throw new HttpError(404, 'tool_unknown', `unknown tool: ${name}`);
  const parsed = parseOutput(result.output);
  sendJson(r, 200, {
    name,
    ok: result.ok,
    output: result.output,
    result: result.ok ? parsed : undefined,
    error: result.ok ? undefined : { code: result.errorCode, message: errorText(parsed) },
    durationMs: Math.round(result.durationMs * 10) / 10,
  });
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
