import { ToolError } from '../core/errors.ts';
import { httpCall, isJsonObject } from './http-call.ts';

export interface TwilioRestTarget {
  /** `TWILIO_API_URL`: https://api.twilio.com, or a local stand-in in tests. */
  baseUrl: string;
  accountSid: string;
  authToken: string;
  timeoutMs: number;
}

export interface CallUpdate {
  status?: 'completed' | 'canceled';
  twiml?: string;
}

/** The fields of Twilio's Call resource that a tool reports back. */
export interface CallResource {
  sid: string;
  status: string;
}

/**
 * `calls(sid).update(...)` of Twilio's REST API, done by hand: `POST /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json`
 * with a form body and basic auth. The `twilio` client hard-codes its API host (`ApiBase` passes
 * "https://api.twilio.com" to `Domain`), takes no AbortSignal and has no response-size cap; this is one request,
 * so doing it directly gives the call's signal, a timeout and a cap, and lets tests aim it at TWILIO_API_URL.
 */
export async function updateCall(
  target: TwilioRestTarget,
  callSid: string,
  update: CallUpdate,
  signal: AbortSignal,
): Promise<CallResource> {
  const form = new URLSearchParams();
  if (update.status) form.set('Status', update.status);
  if (update.twiml) form.set('Twiml', update.twiml);
  const base = target.baseUrl.replace(/\/+$/, '');
  const path = `/2010-04-01/Accounts/${encodeURIComponent(target.accountSid)}/Calls/${encodeURIComponent(callSid)}.json`;
  const auth = Buffer.from(`${target.accountSid}:${target.authToken}`).toString('base64');
  const res = await httpCall({
    url: `${base}${path}`,
    method: 'POST',
    headers: {
      authorization: `Basic ${auth}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: form.toString(),
    signal,
    timeoutMs: target.timeoutMs,
    maxBytes: 32 * 1024,
    expect: 'json',
  });
  if (!isJsonObject(res.body) || typeof res.body.sid !== 'string' || typeof res.body.status !== 'string') {
    throw new ToolError('tool_failed', 'Twilio answered without a call resource');
  }
  return { sid: res.body.sid, status: res.body.status };
}
