import { afterEach, describe, expect, it } from 'vitest';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { turn } from '../../bench/callers/speech-fixtures.ts';
import { twilioSignature } from '../twilio-signature.ts';
import { type Harness, startHarness, waitFor } from './harness.ts';

const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function postTwiml(url: string, params: Record<string, string>, signature?: string): Promise<Response> {
  return fetch(`${url}/twiml`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature ? { 'x-twilio-signature': signature } : {}) },
    body: new URLSearchParams(params).toString(),
  });
}

function tokenOf(twiml: string): string {
  return /<Parameter name="token" value="([^"]+)"/.exec(twiml)?.[1] ?? '';
}

describe('Twilio verification', () => {
  it('refuses unsigned and wrongly signed /twiml with 403', async () => {
    h = await startHarness({ config: { TWILIO_AUTH_TOKEN: AUTH_TOKEN } });
    const params = { CallSid: 'CA1', From: '+15550001111', To: '+15550002222' };
    expect((await postTwiml(h.httpUrl, params)).status).toBe(403);
    expect((await postTwiml(h.httpUrl, params, twilioSignature('wrong-token', `${h.httpUrl}/twiml`, params))).status).toBe(403);
    // Signed over different params: also refused.
    expect((await postTwiml(h.httpUrl, params, twilioSignature(AUTH_TOKEN, `${h.httpUrl}/twiml`, { ...params, From: '+1' }))).status).toBe(403);
    const ok = await postTwiml(h.httpUrl, params, twilioSignature(AUTH_TOKEN, `${h.httpUrl}/twiml`, params));
    expect(ok.status).toBe(200);
    const twiml = await ok.text();
    expect(twiml).toContain(`<Stream url="ws://127.0.0.1:${h.gateway.port}/call">`);
    expect(twiml).toContain('<Parameter name="from" value="+15550001111"/>');
    expect(tokenOf(twiml)).not.toBe('');
  });

  it('accepts a signed stream with its token, on the model socket opened at /twiml time', async () => {
    h = await startHarness({ config: { TWILIO_AUTH_TOKEN: AUTH_TOKEN } });
    const callSid = 'CA0123456789abcdef0123456789abcdef';
    const params = { CallSid: callSid, From: '+15550001111', To: '+15550002222' };
    const twiml = await (await postTwiml(h.httpUrl, params, twilioSignature(AUTH_TOKEN, `${h.httpUrl}/twiml`, params))).text();
    // The model socket opens as soon as the call is known, before the media stream exists.
    const warm = await waitFor(() => h!.sim.sessions[0], 'the prewarmed model session');
    const audio = turn(400, 700, 500);
    const caller = new TwilioCaller({
      url: h.callUrl,
      audio,
      pace: 20,
      callSid,
      customParameters: { token: tokenOf(twiml), from: params.From, to: params.To },
      headers: { 'x-twilio-signature': twilioSignature(AUTH_TOKEN, h.callUrl) },
    });
    await caller.call();
    await waitFor(() => warm.inputBytes >= audio.byteLength, 'audio on the prewarmed model session');
    expect(h.sim.sessions).toHaveLength(1);
    expect(Buffer.from(warm.inputAudio).equals(Buffer.from(audio))).toBe(true);
    caller.hangUp();
  });

  it('refuses a stream whose upgrade is unsigned', async () => {
    h = await startHarness({ config: { TWILIO_AUTH_TOKEN: AUTH_TOKEN } });
    const caller = new TwilioCaller({ url: h.callUrl, audio: new Uint8Array(0) });
    await expect(caller.opened).rejects.toThrow(/403/);
  });

  it('closes a stream with a missing, forged or foreign token before any audio reaches a model', async () => {
    h = await startHarness({ config: { TWILIO_AUTH_TOKEN: AUTH_TOKEN } });
    const params = { CallSid: 'CAother', From: '+1', To: '+2' };
    const otherToken = tokenOf(await (await postTwiml(h.httpUrl, params, twilioSignature(AUTH_TOKEN, `${h.httpUrl}/twiml`, params))).text());
    const before = await waitFor(() => h!.sim.sessions.length, 'the prewarmed model session of CAother');
    for (const token of [undefined, '9999999999.forged', otherToken]) {
      const caller = new TwilioCaller({
        url: h.callUrl,
        audio: turn(300, 300),
        pace: 20,
        customParameters: token ? { token } : {},
        headers: { 'x-twilio-signature': twilioSignature(AUTH_TOKEN, h.callUrl) },
      });
      await caller.call().catch(() => {});
      await caller.whenClosed();
    }
    // The prewarmed session of CAother got no audio, and no other model session was opened.
    expect(h.sim.sessions.length).toBe(before);
    for (const s of h.sim.sessions) expect(s.inputBytes).toBe(0);
    expect(h.gateway.sessions.size).toBe(0);
  });
});

describe('stream replay', () => {
  it('lets a token start one stream: a replay of the same signed start is closed before audio reaches a model', async () => {
    h = await startHarness({ config: { TWILIO_AUTH_TOKEN: AUTH_TOKEN } });
    const callSid = 'CAreplay0123456789abcdef0123456789';
    const params = { CallSid: callSid, From: '+15550001111', To: '+15550002222' };
    const token = tokenOf(await (await postTwiml(h.httpUrl, params, twilioSignature(AUTH_TOKEN, `${h.httpUrl}/twiml`, params))).text());
    const warm = await waitFor(() => h!.sim.sessions[0], 'the prewarmed model session');
    const open = (audio: Uint8Array) =>
      new TwilioCaller({
        url: h!.callUrl,
        audio,
        pace: 20,
        callSid,
        customParameters: { token, from: params.From },
        headers: { 'x-twilio-signature': twilioSignature(AUTH_TOKEN, h!.callUrl) },
      });
    const real = open(turn(400, 700, 500));
    await real.call();
    await waitFor(() => warm.inputBytes > 0, 'the real call at its model');

    // The same token and signature again, while the real call is live: refused.
    const replay = open(turn(400, 300, 900));
    await replay.call().catch(() => {});
    await replay.whenClosed();
    expect(h.gateway.sessions.size).toBe(1);
    expect(h.sim.sessions).toHaveLength(1);
    real.hangUp();
    await waitFor(() => h!.gateway.sessions.size === 0, 'the real call to end');

    // And after the real call ended: still refused (the token is spent).
    const late = open(turn(400, 300, 900));
    await late.call().catch(() => {});
    await late.whenClosed();
    expect(h.sim.sessions).toHaveLength(1);
  });
});
