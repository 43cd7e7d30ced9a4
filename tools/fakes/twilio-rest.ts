import { EventEmitter } from 'node:events';
import { parseForm } from '../../transports/http.ts';
import {
  type FakeResponse,
  type FakeServer,
  type FakeServerOptions,
  type RecordedRequest,
  startFakeServer,
} from './fake-server.ts';

export const FAKE_ACCOUNT_SID = `AC${'0'.repeat(31)}1`;
export const FAKE_AUTH_TOKEN = 'fake-auth-token-0123456789abcdef';

export interface FakeCall {
  sid: string;
  status: 'queued' | 'ringing' | 'in-progress' | 'completed' | 'canceled';
  from: string;
  to: string;
  twiml?: string;
}

export interface CallUpdateSeen {
  callSid: string;
  status?: string;
  twiml?: string;
}

export interface FakeTwilioRest extends FakeServer {
  readonly accountSid: string;
  readonly authToken: string;
  /** Calls the stand-in knows; an update of any other SID answers Twilio's 20404. */
  calls: Map<string, FakeCall>;
  addCall(sid: string, fields?: Partial<FakeCall>): FakeCall;
  /** Emits `update` (CallUpdateSeen) after each accepted update, so a simulated caller can hang up on it. */
  events: EventEmitter<{ update: [CallUpdateSeen] }>;
}

/**
 * Twilio's Calls resource: `POST /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json` with `Status` or `Twiml` in a
 * form body, HTTP basic auth with the account SID and auth token, answering the Call resource JSON, or Twilio's
 * error JSON (`{code, message, more_info, status}`): 20003 bad credentials, 20404 unknown call, 21220 a call that
 * is no longer in progress.
 */
export async function startFakeTwilioRest(
  opts: FakeServerOptions & { accountSid?: string; authToken?: string } = {},
): Promise<FakeTwilioRest> {
  const accountSid = opts.accountSid ?? FAKE_ACCOUNT_SID;
  const authToken = opts.authToken ?? FAKE_AUTH_TOKEN;
  let fake: FakeTwilioRest;
  const server = await startFakeServer((req) => handle(fake, req), {
    errorBody: twilioError(20500, 'An internal server error has occurred', 500),
    ...opts,
  });
  fake = Object.assign(server, {
    accountSid,
    authToken,
    calls: new Map<string, FakeCall>(),
    events: new EventEmitter<{ update: [CallUpdateSeen] }>(),
    addCall(sid: string, fields: Partial<FakeCall> = {}): FakeCall {
      const call: FakeCall = { sid, status: 'in-progress', from: '+14155550100', to: '+14155550199', ...fields };
      fake.calls.set(sid, call);
      return call;
    },
  });
  return fake;
}

const CALL_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/([^/]+)\.json$/;

function handle(fake: FakeTwilioRest, req: RecordedRequest): FakeResponse {
  const expected = `Basic ${Buffer.from(`${fake.accountSid}:${fake.authToken}`).toString('base64')}`;
  if (req.headers.authorization !== expected) return twilioErrorResponse(20003, 'Authenticate', 401);
  const m = CALL_PATH.exec(req.url.pathname);
  if (!m || req.method !== 'POST' || decodeURIComponent(m[1]!) !== fake.accountSid) {
    return twilioErrorResponse(20404, `The requested resource ${req.url.pathname} was not found`, 404);
  }
  const sid = decodeURIComponent(m[2]!);
  const call = fake.calls.get(sid);
  if (!call) return twilioErrorResponse(20404, `The requested resource ${req.url.pathname} was not found`, 404);
  const form = parseForm(req.body);
  if (call.status === 'completed' || call.status === 'canceled') {
    return twilioErrorResponse(21220, 'Call is not in-progress. Cannot redirect.', 400);
  }
  if (form.Status !== undefined) {
    if (form.Status !== 'completed' && form.Status !== 'canceled') {
      return twilioErrorResponse(21218, `Invalid value ${form.Status} for parameter Status`, 400);
    }
    call.status = form.Status;
  }
  if (form.Twiml !== undefined) call.twiml = form.Twiml;
  fake.events.emit('update', { callSid: sid, status: form.Status, twiml: form.Twiml });
  return { status: 200, body: callResource(fake.accountSid, call) };
}

function callResource(accountSid: string, call: FakeCall): Record<string, unknown> {
  const uri = `/2010-04-01/Accounts/${accountSid}/Calls/${call.sid}.json`;
  return {
    sid: call.sid,
    account_sid: accountSid,
    parent_call_sid: null,
    date_created: 'Tue, 24 Nov 2026 00:10:00 +0000',
    date_updated: 'Tue, 24 Nov 2026 00:12:00 +0000',
    start_time: 'Tue, 24 Nov 2026 00:10:01 +0000',
    end_time: call.status === 'completed' ? 'Tue, 24 Nov 2026 00:12:00 +0000' : null,
    duration: call.status === 'completed' ? '119' : null,
    to: call.to,
    to_formatted: call.to,
    from: call.from,
    from_formatted: call.from,
    phone_number_sid: `PN${'0'.repeat(32)}`,
    status: call.status,
    direction: 'inbound',
    answered_by: null,
    api_version: '2010-04-01',
    forwarded_from: null,
    caller_name: null,
    queue_time: '0',
    trunk_sid: null,
    price: null,
    price_unit: 'USD',
    group_sid: null,
    uri,
    subresource_uris: {
      notifications: uri.replace('.json', '/Notifications.json'),
      recordings: uri.replace('.json', '/Recordings.json'),
    },
  };
}

export function twilioError(code: number, message: string, status: number): Record<string, unknown> {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

function twilioErrorResponse(code: number, message: string, status: number): FakeResponse {
  return { status, body: twilioError(code, message, status) };
}
