import { afterEach, describe, expect, it } from 'vitest';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { concatAudio, silence, talkSpurt, turn } from '../../bench/callers/speech-fixtures.ts';
import { type Harness, sessionFor, startHarness, waitFor } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('a phone call through the gateway', () => {
  it('relays the caller to the model and the model to the caller byte for byte, and stop closes the model socket', async () => {
    h = await startHarness();
    const audio = turn(600, 700, 523);
    const caller = new TwilioCaller({ url: h.callUrl, audio, pace: 20 });
    await caller.call();
    const sim = await waitFor(() => sessionFor(h!.sim, audio), 'the model session');
    await waitFor(() => sim.inputBytes >= audio.byteLength, 'all caller audio at the model');
    // Caller → model: every byte, in order, nothing added.
    expect(Buffer.from(sim.inputAudio).equals(Buffer.from(audio))).toBe(true);
    // session.update went out before any audio, in the caller's format (no codec work).
    expect(sim.sessionUpdates.length).toBeGreaterThanOrEqual(1);
    expect(sim.inputFormat).toEqual({ codec: 'pcmu', rate: 8000 });
    expect(sim.outputFormat).toEqual({ codec: 'pcmu', rate: 8000 });

    // Model → caller: the simulator's answer (the caller's own speech played back) arrives exactly.
    await waitFor(() => !sim.activeResponseId && sim.outputAudio.byteLength > 0, 'the answer to finish');
    const answer = sim.outputAudio;
    await waitFor(() => caller.receivedBytes().byteLength >= answer.byteLength, 'the answer at the caller');
    expect(Buffer.from(caller.receivedBytes()).equals(Buffer.from(answer))).toBe(true);
    for (const r of caller.received) expect(r.event.streamSid).toBe(caller.streamSid);
    // Every media message is whole 20 ms frames (even-sized) and followed by a mark.
    const out = caller.received.map((r) => r.event);
    for (let i = 0; i < out.length; i++) {
      if (out[i]!.event !== 'media') continue;
      const bytes = Buffer.from((out[i]!.media as { payload: string }).payload, 'base64').byteLength;
      expect(bytes % 2).toBe(0);
      expect(out[i + 1]?.event).toBe('mark');
    }

    caller.hangUp();
    await waitFor(() => sim.closed, 'the model socket to close on stop');
    await waitFor(() => h!.gateway.sessions.size === 0, 'the session to end');
  });

  it('speaks the beta dialect when configured: header, flat session.update, beta event names', async () => {
    h = await startHarness({ config: { OPENAI_API_MODE: 'beta' } });
    const audio = turn(400, 700, 440);
    const caller = new TwilioCaller({ url: h.callUrl, audio, pace: 20 });
    await caller.call();
    const sim = await waitFor(() => sessionFor(h!.sim, audio), 'the model session');
    expect(sim.mode).toBe('beta');
    expect(sim.sessionUpdates[0]).toMatchObject({ input_audio_format: 'g711_ulaw', output_audio_format: 'g711_ulaw' });
    await waitFor(() => !sim.activeResponseId && sim.outputAudio.byteLength > 0, 'the answer');
    await waitFor(() => caller.receivedBytes().byteLength >= sim.outputAudio.byteLength, 'the answer at the caller');
    expect(Buffer.from(caller.receivedBytes()).equals(Buffer.from(sim.outputAudio))).toBe(true);
    caller.hangUp();
  });

  it('refuses a second stream for a call that is live (its tools would act on that call)', async () => {
    h = await startHarness();
    const first = new TwilioCaller({ url: h.callUrl, audio: turn(400, 700, 500), pace: 20, callSid: 'CAsame' });
    await first.call();
    const second = new TwilioCaller({ url: h.callUrl, audio: turn(400, 300, 900), pace: 20, callSid: 'CAsame' });
    await second.call().catch(() => {});
    await second.whenClosed();
    expect(h.gateway.sessions.size).toBe(1);
    expect(h.sim.sessions).toHaveLength(1);
    first.hangUp();
  });

  it('echoes of marks let the gateway know the caller heard the whole answer', async () => {
    h = await startHarness({ sim: { answerMs: 400 } });
    const audio = turn(300, 600, 700);
    const caller = new TwilioCaller({ url: h.callUrl, audio, pace: 20 });
    await caller.call();
    await waitFor(() => caller.echoedMarks.length > 0 && caller.queuedMs() === 0 && caller.receivedAudio.length > 0, 'playback to finish', 5000);
    const session = [...h.gateway.sessions][0]!;
    await session.caller.playbackDone();
    expect(caller.echoedMarks.every((m) => !m.afterClear)).toBe(true);
    caller.hangUp();
  });

  it('keeps 50 simultaneous calls apart: each model hears only its caller, each caller hears only its model', async () => {
    h = await startHarness();
    const callers = Array.from({ length: 50 }, (_, i) => {
      // Distinct audio per call: frequency and level differ, so the bytes differ.
      const audio = concatAudio(talkSpurt(400, 300 + i * 37, 6000 + i * 100), silence(700));
      return new TwilioCaller({ url: h!.callUrl, audio, pace: 10 });
    });
    await Promise.all(callers.map((c) => c.call()));
    await waitFor(() => h!.sim.sessions.length === 50 && h!.sim.sessions.every((s) => s.outputAudio.byteLength > 0 && !s.activeResponseId), 'all 50 answers', 15_000);
    const seen = new Set<string>();
    for (const [i, caller] of callers.entries()) {
      const audio = concatAudio(talkSpurt(400, 300 + i * 37, 6000 + i * 100), silence(700));
      const sim = sessionFor(h.sim, audio);
      expect(sim, `model session of call ${i}`).toBeDefined();
      expect(seen.has(sim!.id)).toBe(false);
      seen.add(sim!.id);
      await waitFor(() => sim!.inputBytes >= audio.byteLength, `call ${i} audio at its model`);
      expect(Buffer.from(sim!.inputAudio).equals(Buffer.from(audio))).toBe(true);
      await waitFor(() => caller.receivedBytes().byteLength >= sim!.outputAudio.byteLength, `call ${i} answer at its caller`);
      expect(Buffer.from(caller.receivedBytes()).equals(Buffer.from(sim!.outputAudio))).toBe(true);
      for (const r of caller.received) expect(r.event.streamSid).toBe(caller.streamSid);
    }
    for (const c of callers) c.hangUp();
    await waitFor(() => h!.gateway.sessions.size === 0, 'all sessions to end');
  }, 60_000);
});
