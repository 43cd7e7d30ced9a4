import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { silence, talkSpurt, turn } from '../../bench/callers/speech-fixtures.ts';
import { type Harness, sessionFor, startHarness, waitFor } from '../../transports/e2e/harness.ts';
import { defaultAgentConfig } from '../agent-config.ts';
import type { LifecycleEvent, SessionEnded, SessionEvent, SessionSink, TranscriptEvent } from '../session-events.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});


function sink(): SessionSink & { events: SessionEvent[]; transcripts(): TranscriptEvent[]; named(name: string): LifecycleEvent[] } {
  const events: SessionEvent[] = [];
  return {
    events,
    record: (e) => void events.push(e),
    transcripts: () => events.filter((e): e is TranscriptEvent => e.type === 'transcript'),
    named: (name) => events.filter((e): e is LifecycleEvent => e.type === 'event' && e.name === name),
  };
}

const WORDS = 'one two three four five six seven eight nine ten eleven twelve';

describe('the conversation as the session records it', () => {
  it('records user and assistant transcripts per turn, the assistant cut where the caller interrupted, once heard', async () => {
    const s = sink();
    let turnNo = 0;
    h = await startHarness({
      sim: {
        transcribe: () => `question ${++turnNo}`,
        answer: () => ({ toneMs: 1200, transcript: WORDS }),
      },
      gateway: { sink: s },
    });
    const question = turn(200, 550, 480);
    const caller = new TwilioCaller({ url: h.callUrl, audio: question, pace: 1 });
    await caller.call();
    const sim = await waitFor(() => sessionFor(h!.sim, question), 'the model session');
    // Turn 1 is heard whole. The model finished its transcript long before the caller heard the audio: the
    // transcript is recorded only once playback has caught up.
    const first = await waitFor(() => caller.received.find((r) => r.event.event === 'media'), 'the first answer');
    await waitFor(() => s.transcripts().some((t) => t.role === 'assistant'), 'the first assistant transcript', 3000);
    const firstAssistantAt = s.transcripts().find((t) => t.role === 'assistant')!.at;
    expect(performance.timeOrigin + first.at + 1100).toBeLessThan(firstAssistantAt + 50);
    // Turn 2 is interrupted 500 ms into the answer.
    await caller.speak(turn(200, 550, 480));
    const secondStart = await waitFor(() => caller.received.filter((r) => r.event.event === 'media' && r.at > first.at + 1300)[0], 'the second answer');
    await sleep(Math.max(0, secondStart.at + 500 - performance.now()));
    await caller.speak(talkSpurt(200, 500), 0);
    await waitFor(() => s.transcripts().filter((t) => t.role === 'assistant').length === 2, 'the cut transcript', 3000);
    await caller.speak(silence(600));
    caller.hangUp();
    await waitFor(() => s.events.some((e) => e.type === 'session.ended'), 'the end');

    const t = s.transcripts();
    const user = t.filter((x) => x.role === 'user').map((x) => x.text);
    expect(user.slice(0, 2)).toEqual(['question 1', 'question 2']);
    const assistant = t.filter((x) => x.role === 'assistant');
    expect(assistant[0]).toMatchObject({ text: WORDS });
    expect(assistant[0]!.truncated).toBeUndefined();
    // About 500 ms of a 1200 ms answer of 12 words: the words in proportion to what was heard (the truncate's value).
    const trunc = sim.received.find((r) => r.type === 'conversation.item.truncate')!.event as { item_id: string; audio_end_ms: number };
    expect(assistant[1]!.truncated).toBe(true);
    expect(WORDS.startsWith(assistant[1]!.text)).toBe(true);
    expect(assistant[1]!.text.split(' ')).toHaveLength(Math.floor((trunc.audio_end_ms / 1200) * 12));
    expect(trunc.audio_end_ms).toBeGreaterThan(400);
    expect(assistant[1]!.itemId).toBe(trunc.item_id);

    // Per-turn metrics and summed usage.
    const turns = s.named('turn').map((e) => e.data as { turn: number; voiceToVoiceMs?: number; truncatedAtMs?: number; framesIn: number });
    expect(turns.length).toBeGreaterThanOrEqual(3);
    expect(turns.filter((x) => x.voiceToVoiceMs !== undefined).length).toBeGreaterThanOrEqual(2);
    // Voice to voice counts from when the caller stopped speaking, so it includes the VAD's 500 ms of silence.
    for (const x of turns.filter((y) => y.voiceToVoiceMs !== undefined)) expect(x.voiceToVoiceMs!).toBeGreaterThan(450);
    expect(turns.some((x) => Math.abs((x.truncatedAtMs ?? -1000) - trunc.audio_end_ms) <= 1)).toBe(true);
    const ended = s.events.find((e): e is SessionEnded => e.type === 'session.ended')!;
    const responses = (ended.usage as { responses: number }).responses;
    expect(responses).toBeGreaterThanOrEqual(2);
    expect(ended.usage).toMatchObject({ inputTokens: 20 * responses, cachedTokens: 5 * responses, uncachedInputTokens: 15 * responses });
    expect((ended.usage as { outputAudioTokens: number }).outputAudioTokens).toBeGreaterThan(0);
    expect((ended.metrics as { framesIn: number }).framesIn).toBeGreaterThan(0);
  }, 15_000);

  it('speaks first when the agent has a greeting: response.create with the instruction as soon as the stream starts', async () => {
    const s = sink();
    h = await startHarness({
      sim: { answer: (ctx) => (ctx.trigger === 'response.create' ? { toneMs: 300, transcript: `greeting: ${ctx.instructions}` } : { toneMs: 200 }) },
      gateway: { sink: s, agentConfig: defaultAgentConfig({ greeting: 'Greet the caller warmly.' }) },
    });
    const caller = new TwilioCaller({ url: h.callUrl, audio: new Uint8Array(0), pace: 10 });
    await caller.call();
    await waitFor(() => caller.receivedAudio.length > 0, 'the greeting at the caller', 3000);
    const sim = h.sim.sessions[0]!;
    const creates = sim.received.filter((r) => r.type === 'response.create');
    expect(creates).toHaveLength(1);
    expect(creates[0]!.event).toMatchObject({ response: { instructions: 'Greet the caller warmly.' } });
    // The session.update went first, then the greeting: no caller audio was needed to start it.
    expect(sim.received[0]!.type).toBe('session.update');
    expect(sim.inputBytes).toBe(0);
    await waitFor(() => s.transcripts().some((t) => t.role === 'assistant'), 'the greeting transcript', 3000);
    expect(s.transcripts()[0]).toMatchObject({ role: 'assistant', text: 'greeting: Greet the caller warmly.' });
    caller.hangUp();
  });

  it('passes DTMF digits to the model as conversation items and records them', async () => {
    const s = sink();
    h = await startHarness({ gateway: { sink: s } });
    const audio = turn(200, 100, 400);
    const caller = new TwilioCaller({ url: h.callUrl, audio, pace: 10 });
    await caller.call();
    caller.dtmf('5');
    caller.dtmf('#');
    const sim = await waitFor(() => sessionFor(h!.sim, audio), 'the model session');
    await waitFor(() => sim.received.filter((r) => r.type === 'conversation.item.create').length === 2, 'both digits at the model');
    const items = sim.received.filter((r) => r.type === 'conversation.item.create').map((r) => r.event.item);
    expect(items).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'The caller pressed 5' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'The caller pressed #' }] },
    ]);
    expect(s.named('dtmf').map((e) => e.data)).toEqual([{ digit: '5' }, { digit: '#' }]);
    caller.hangUp();
  });
});
