import { ToolError } from '../core/errors.ts';
import type { ToolContext } from './define-tool.ts';
import { httpCall } from './http-call.ts';
import { SIGNATURE_HEADER, signBody } from './n8n-signature.ts';

export interface N8nTarget {
  url: string;
  /** HMAC key for the body signature; unsigned when absent (the workflow should then refuse, but that is its call). */
  secret?: string;
  timeoutMs: number;
}

/**
 * POSTs a tool's arguments to an n8n webhook with the call's context, signed, and returns the workflow's JSON.
 * The signature covers the whole body, context and time included, so a receiver can trust both and refuse replays.
 */
export async function callN8n(target: N8nTarget, args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> {
  const body = JSON.stringify({
    ...args,
    call: {
      sessionId: ctx.sessionId,
      kind: ctx.kind,
      callSid: ctx.callSid,
      from: ctx.from,
      to: ctx.to,
      at: Date.now(),
    },
  });
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (target.secret) headers[SIGNATURE_HEADER] = signBody(target.secret, body);
  const res = await httpCall({
    url: target.url,
    method: 'POST',
    headers,
    body,
    signal: ctx.signal,
    timeoutMs: target.timeoutMs,
    expect: 'json',
  });
  return unwrapItems(res.body);
}

/** n8n's "Respond to Webhook" with all incoming items answers an array; one item is the answer itself. */
function unwrapItems(body: unknown): unknown {
  if (Array.isArray(body)) {
    if (body.length === 0) throw new ToolError('tool_failed', 'the workflow answered no items');
    if (body.length === 1) return body[0];
  }
  return body;
}
