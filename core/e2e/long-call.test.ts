import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { talkSpurt } from '../../bench/callers/speech-fixtures.ts';
import { type Harness, startHarness, waitFor } from '../../transports/e2e/harness.ts';
import type { LifecycleEvent, SessionEvent, SessionSink } from '../session-events.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});


/**
 * The one long test: a 2-minute call at real time (a phone line cannot be hurried; the model's session limit is wall
 * clock) against a model whose sessions last 20 s. Everything else in the suite runs faster than real time.
 */
describe('a long call', () => {
  it('rolls over at least 5 times in 2 minutes with a 20 s model session limit, conversation intact, no audible drop', async () => {
    const events: SessionEvent[] = [];
    const sink: SessionSink = { record: (e) => void events.push(e) };
    let q = 0;
    let a = 0;
    h = await startHarness({
      sim: {
        maxSessionMs: 20_000,
        transcribe: () => `question ${++q}`,
        answer: () => ({ toneMs: 1400, transcript: `answer ${++a}` }),
      },
      config: { MODEL_SESSION_MAX_MS: 17_000 },
      gateway: { sink },
    });
    const caller = new TwilioCaller({ url: h.callUrl, audio: new Uint8Array(0), pace: 1, continuous: true });
    await caller.call();
    const callStart = performance.now();
    // A turn every 4 s: 600 ms of speech, then the line's own silence; the answer plays for 1.4 s.
    const latencies: number[] = [];
    let turns = 0;
    while (performance.now() - callStart < 118_000) {
      const turnStart = performance.now();
      await caller.speak(talkSpurt(600, 400 + (turns % 7) * 40));
      const spokeAt = performance.now();
      const answer = await waitFor(() => caller.received.find((r) => r.at > spokeAt && r.event.event === 'media'), `the answer to turn ${turns + 1}`, 3000);
      latencies.push(answer.at - spokeAt);
      turns++;
      await sleep(Math.max(0, turnStart + 4000 - performance.now()));
    }
    await sleep(200);
    const rollovers = events.filter((e): e is LifecycleEvent => e.type === 'event' && (e.name === 'model_rollover' || e.name === 'model_reconnect'));
    const sims = h.sim.sessions;

    // Rolled over before every limit, between turns: no model session was cut off by the server.
    expect(rollovers.length).toBeGreaterThanOrEqual(5);
    expect(rollovers.every((e) => e.name === 'model_rollover' && (e.data as { reason: string }).reason === 'rollover')).toBe(true);
    expect(sims.filter((s) => s.closeReason === 'session expired')).toEqual([]);
    expect(sims.length).toBe(rollovers.length + 1);

    // Every turn was answered, each about as fast as the others: no turn waited on a reconnect.
    expect(latencies).toHaveLength(turns);
    const base = Math.min(...latencies);
    expect(Math.max(...latencies) - base, `answer latencies ${latencies.map(Math.round).join(',')}`).toBeLessThan(500);
    // No gap inside any answer the caller heard.
    expect(caller.itemGaps(500)).toEqual([]);
    expect(caller.closed).toBe(false);

    // The conversation is intact: the last connection got every earlier turn replayed, in order.
    const last = sims.at(-1)!;
    const replay = last.received
      .filter((r) => r.type === 'conversation.item.create')
      .map((r) => ((r.event.item as { content: Array<{ text: string }> }).content[0]!.text));
    const lastTurnBefore = replay.length / 2;
    expect(lastTurnBefore).toBeGreaterThanOrEqual(turns - 6);
    for (let i = 1; i <= lastTurnBefore; i++) expect(replay.slice(2 * i - 2, 2 * i)).toEqual([`question ${i}`, `answer ${i}`]);
    // Each connection was handed more of the conversation than the one before.
    const replayCounts = sims.map((s) => s.received.filter((r) => r.type === 'conversation.item.create').length);
    for (let k = 2; k < sims.length; k++) expect(replayCounts[k]!).toBeGreaterThan(replayCounts[k - 1]!);
    caller.hangUp();
    await waitFor(() => h!.gateway.sessions.size === 0, 'the session to end');
  }, 180_000);
});
