import { afterEach, describe, expect, it } from 'vitest';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { turn } from '../../bench/callers/speech-fixtures.ts';
import { type Harness, sessionFor, startHarness, waitFor } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function invalidCount(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^voxbridge_invalid_messages_total (\d+)$/m.exec(text)?.[1]);
}

describe('bad input on one call', () => {
  it('is counted and logged, and harms neither the server nor another call', async () => {
    h = await startHarness();
    const goodAudio = turn(500, 700, 610);
    const good = new TwilioCaller({ url: h.callUrl, audio: goodAudio, pace: 5 });
    const goodCall = good.call();

    // Garbage before start: non-JSON, unknown event, media before start, JSON that is not an object.
    const rude = new TwilioCaller({ url: h.callUrl, audio: new Uint8Array(0), skipStart: true });
    await rude.opened;
    rude.sendRaw('this is not json');
    rude.sendRaw('{"event":"dance"}');
    rude.sendRaw('null');
    rude.sendMedia(new Uint8Array(160).fill(0x55));
    // After start: bad base64 and a media message without payload.
    rude.start();
    rude.sendRaw(JSON.stringify({ event: 'media', streamSid: rude.streamSid, media: { payload: '!!!not base64!!!' } }));
    rude.sendRaw(JSON.stringify({ event: 'media', streamSid: rude.streamSid, media: {} }));
    rude.sendRaw(JSON.stringify({ event: 'mark', streamSid: rude.streamSid }));
    await waitFor(() => h!.gateway.metrics.counters.invalidMessages >= 7, 'seven invalid messages counted');
    expect(rude.closed).toBe(false); // bad messages are dropped, the call stays up

    // An oversized frame closes that one socket.
    const huge = new TwilioCaller({ url: h.callUrl, audio: new Uint8Array(0) });
    await huge.opened;
    huge.sendRaw(JSON.stringify({ event: 'media', media: { payload: 'A'.repeat(200_000) } }));
    await huge.whenClosed();
    expect(huge.closeCode).not.toBe(1000);

    // A socket dropped mid-call ends its session and closes its model socket.
    const dropAudio = turn(2000, 100, 880);
    const dropper = new TwilioCaller({ url: h.callUrl, audio: dropAudio, pace: 1 });
    void dropper.call();
    const dropSim = await waitFor(() => sessionFor(h!.sim, dropAudio), 'the dropping call at the model');
    dropper.drop();
    await waitFor(() => dropSim.closed, 'the dropped call to close its model socket');

    // The good call never noticed.
    await goodCall;
    const sim = await waitFor(() => sessionFor(h!.sim, goodAudio), 'the good call at the model');
    await waitFor(() => sim.inputBytes >= goodAudio.byteLength, 'all good audio');
    expect(Buffer.from(sim.inputAudio).equals(Buffer.from(goodAudio))).toBe(true);
    await waitFor(() => sim.outputAudio.byteLength > 0 && !sim.activeResponseId, 'the good answer');
    await waitFor(() => good.receivedBytes().byteLength >= sim.outputAudio.byteLength, 'the good answer at the caller');
    expect(Buffer.from(good.receivedBytes()).equals(Buffer.from(sim.outputAudio))).toBe(true);

    expect((await fetch(`${h.httpUrl}/healthz`)).status).toBe(200);
    expect(await invalidCount(h.httpUrl)).toBeGreaterThanOrEqual(8);
    good.hangUp();
    rude.hangUp();
  }, 20_000);

  it('answers unknown routes with a JSON 404', async () => {
    h = await startHarness();
    const res = await fetch(`${h.httpUrl}/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});
