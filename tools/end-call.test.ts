import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../core/log.ts';
import { endCall } from './end-call.ts';
import { testToolContext } from './fakes/tool-context.ts';
import { type FakeTwilioRest, startFakeTwilioRest } from './fakes/twilio-rest.ts';
import { LiveToolRegistry } from './registry.ts';
import { transferCall } from './transfer-call.ts';
import type { TwilioRestTarget } from './twilio-calls.ts';
import { FAILURE_MODES } from './fakes/fake-server.ts';

let twilio: FakeTwilioRest;
let registry: LiveToolRegistry;
/** Only for the hang case: a tight timeout elsewhere turns a loaded machine's slow answer into a false failure. */
let tight: LiveToolRegistry;
let target: TwilioRestTarget;
const CALL = `CA${'b'.repeat(32)}`;

beforeAll(async () => {
  twilio = await startFakeTwilioRest({ hugeBytes: 1024 * 1024 });
  target = { baseUrl: twilio.url, accountSid: twilio.accountSid, authToken: twilio.authToken, timeoutMs: 5000 };
  registry = new LiveToolRegistry({ builtins: [endCall(target), transferCall(target)], log: createLogger('silent') });
  tight = new LiveToolRegistry({ builtins: [endCall({ ...target, timeoutMs: 200 })], log: createLogger('silent') });
});
afterAll(() => twilio.close());
beforeEach(() => {
  twilio.mode = 'ok';
  twilio.addCall(CALL);
});

describe('end_call', () => {
  it('waits for playback, then completes the call through the Calls resource', async () => {
    let played = false;
    const ctx = testToolContext({
      callSid: CALL,
      playbackDone: () =>
        new Promise<void>((r) =>
          setTimeout(() => {
            played = true;
            r();
          }, 50),
        ),
    });
    let playedBeforeUpdate = false;
    twilio.events.once('update', () => {
      playedBeforeUpdate = played;
    });
    const seen = new Promise((r) => twilio.events.once('update', r));
    const result = await registry.run('end_call', '', ctx);
    expect(result).toMatchObject({ ok: true });
    expect(JSON.parse(result.output)).toEqual({ ended: true, status: 'completed' });
    expect(await seen).toEqual({ callSid: CALL, status: 'completed', twiml: undefined });
    const req = twilio.requests.at(-1)!;
    expect(playedBeforeUpdate).toBe(true);
    expect(req.method).toBe('POST');
    expect(req.url.pathname).toBe(`/2010-04-01/Accounts/${twilio.accountSid}/Calls/${CALL}.json`);
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.body).toBe('Status=completed');
  });

  it('answers Twilio errors as failures: a call no longer in progress, an unknown call, bad credentials', async () => {
    twilio.calls.get(CALL)!.status = 'completed';
    const done = await registry.run('end_call', '{}', testToolContext({ callSid: CALL }));
    expect(done.errorCode).toBe('tool_failed');
    expect(JSON.parse(done.output).error).toMatch(/answered 400.*21220/);
    const unknown = await registry.run('end_call', '{}', testToolContext({ callSid: `CA${'9'.repeat(32)}` }));
    expect(JSON.parse(unknown.output).error).toMatch(/answered 404.*20404/);
    const wrong = new LiveToolRegistry({
      builtins: [endCall({ ...target, authToken: 'nope' })],
      log: createLogger('silent'),
    });
    const denied = await wrong.run('end_call', '{}', testToolContext({ callSid: CALL }));
    expect(JSON.parse(denied.output).error).toMatch(/answered 401.*20003/);
  });

  it('does not hang up a call that ended while the goodbye played', async () => {
    const before = twilio.requests.length;
    const ctx = testToolContext({ callSid: CALL, playbackDone: () => new Promise<void>(() => {}) });
    setTimeout(() => ctx.hangUp(), 30);
    const result = await registry.run('end_call', '{}', ctx);
    expect(result.errorCode).toBe('tool_aborted');
    expect(twilio.requests.length).toBe(before);
  });

  it('cannot end a browser call (no call SID)', async () => {
    const before = twilio.requests.length;
    const result = await registry.run('end_call', '{}', testToolContext({ kind: 'browser', callSid: undefined }));
    expect(result.errorCode).toBe('tool_failed');
    expect(twilio.requests.length).toBe(before);
  });

  it.each(FAILURE_MODES)('answers %s as %s', async (mode, code) => {
    twilio.mode = mode;
    const result = await (mode === 'hang' ? tight : registry).run('end_call', '{}', testToolContext({ callSid: CALL }));
    expect(result).toMatchObject({ ok: false, errorCode: code });
  });
});

describe('transfer_call', () => {
  it('replaces the TwiML with a <Dial> to the number', async () => {
    const result = await registry.run(
      'transfer_call',
      '{"phone_number":"+14155550142"}',
      testToolContext({ callSid: CALL }),
    );
    expect(JSON.parse(result.output)).toEqual({ transferred: true, status: 'in-progress' });
    const form = new URLSearchParams(twilio.requests.at(-1)!.body);
    expect(form.get('Twiml')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Dial>+14155550142</Dial></Response>',
    );
    expect(form.get('Status')).toBeNull();
    expect(twilio.calls.get(CALL)!.twiml).toContain('<Dial>+14155550142</Dial>');
  });

  it('refuses a number that is not E.164 without calling Twilio', async () => {
    const before = twilio.requests.length;
    const result = await registry.run(
      'transfer_call',
      '{"phone_number":"<Hangup/>"}',
      testToolContext({ callSid: CALL }),
    );
    expect(result.errorCode).toBe('tool_invalid_arguments');
    expect(twilio.requests.length).toBe(before);
  });
});
