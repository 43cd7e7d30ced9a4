import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { silence, talkSpurt, turn } from '../../bench/callers/speech-fixtures.ts';
import type { SimSession } from '../realtime/simulator-session.ts';
import { type Harness, sessionFor, startHarness, waitFor } from '../../transports/e2e/harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});


function truncates(sim: SimSession): Array<{ item_id: string; audio_end_ms: number }> {
  return sim.received.filter((r) => r.type === 'conversation.item.truncate').map((r) => r.event as { item_id: string; audio_end_ms: number });
}

/** The first assistant audio item the simulator produced in this session. */
function firstAnswerItem(sim: SimSession): string | undefined {
  return sim.items.find((i) => i.role === 'assistant' && i.type === 'message' && i.sentBytes > 0)?.id;
}

/**
 * One call: the caller asks, the model answers with a long tone, and `offsetMs` after the caller began to hear it the
 * caller talks over it. Played at real time: the caller's own record of what it heard is the truth.
 */
async function interruptAt(harness: Harness, offsetMs: number, freq: number) {
  const question = turn(200, 550, freq);
  const caller = new TwilioCaller({ url: harness.callUrl, audio: question, pace: 1 });
  await caller.call();
  const sim = await waitFor(() => sessionFor(harness.sim, question), 'the model session');
  const first = await waitFor(() => caller.received.find((r) => r.event.event === 'media'), 'the answer to start playing', 5000);
  await sleep(Math.max(0, first.at + offsetMs - performance.now()));
  void caller.speak(talkSpurt(200, freq + 50), 0);
  await waitFor(() => caller.clearLog.length > 0 && truncates(sim).length > 0, 'the clear and the truncate', 3000);
  return { caller, sim };
}

describe('barge-in', () => {
  it('truncates at what the caller heard (within 100 ms), at many points in a response, and clears its playback', async () => {
    h = await startHarness({ sim: { answer: (ctx) => (ctx.trigger === 'speech' ? { toneMs: 2600 } : {}) } });
    const offsets = [60, 240, 470, 800, 1150, 1620, 2100];
    const results = await Promise.all(offsets.map((ms, i) => interruptAt(h!, ms, 300 + i * 60)));
    for (const [i, { caller, sim }] of results.entries()) {
      const item = firstAnswerItem(sim)!;
      const [trunc] = truncates(sim);
      const clear = caller.clearLog[0]!;
      expect(trunc!.item_id, `call ${i}: truncated item`).toBe(item);
      expect(clear.itemId, `call ${i}: item the caller was hearing`).toBe(item);
      // The truth: what the caller itself played of the item before the clear.
      expect(Math.abs(trunc!.audio_end_ms - clear.heardMs), `call ${i}: |audio_end_ms ${trunc!.audio_end_ms} − heard ${clear.heardMs}|`).toBeLessThanOrEqual(100);
      expect(clear.heardMs).toBeGreaterThan(offsets[i]! - 60);
      expect(clear.heardMs).toBeLessThan(offsets[i]! + 300); // a loaded machine may wake the caller late
      // Marks pending at the clear were echoed as not played; nothing of the item played after the clear.
      expect(caller.echoedMarks.some((m) => m.afterClear)).toBe(true);
      expect(caller.heardMsOf(item)).toBeCloseTo(clear.heardMs, 0);
      caller.hangUp();
    }
    expect(h.gateway.metrics.counters.bargeIns).toBeGreaterThanOrEqual(offsets.length);
  }, 20_000);

  it('drops audio of the interrupted item that keeps arriving from a model slow to stop', async () => {
    h = await startHarness({ sim: { realtimeFactor: 1.5, deltaMs: 40, answer: (ctx) => (ctx.trigger === 'speech' ? { toneMs: 3000 } : {}) } });
    h.sim.onSession((s) => {
      s.honorInterrupts = false;
    });
    const { caller, sim } = await interruptAt(h, 300, 500);
    const item = firstAnswerItem(sim)!;
    const clearAt = caller.clearLog[0]!.at;
    // The model keeps streaming the item for a while after the truncate.
    const sentAtClear = sim.items.find((i) => i.id === item)!.sentBytes;
    await waitFor(() => sim.items.find((i) => i.id === item)!.sentBytes > sentAtClear + 4000, 'the model to keep streaming', 3000);
    const afterClear = caller.received.filter((r) => r.at > clearAt && r.event.event === 'mark' && String((r.event.mark as { name: string }).name).startsWith(item));
    expect(afterClear).toHaveLength(0);
    expect(caller.heardMsOf(item)).toBeLessThan(450);
    const session = [...h.gateway.sessions][0]!;
    expect(session.metricsSnapshot().framesDropped as number).toBeGreaterThan(0);
    caller.hangUp();
  }, 15_000);

  it('truncates an item the caller has not begun to hear at 0 and lets none of it through', async () => {
    // The model takes its time to start speaking: the caller talks again before any audio.
    h = await startHarness({ sim: { firstAudioDelayMs: 400, answer: (ctx) => (ctx.trigger === 'speech' ? { toneMs: 1500, transcript: 'one two three' } : {}) } });
    const question = turn(200, 550, 700);
    const caller = new TwilioCaller({ url: h.callUrl, audio: question, pace: 1 });
    await caller.call();
    const sim = await waitFor(() => sessionFor(h!.sim, question), 'the model session');
    await waitFor(() => sim.activeResponseId, 'the response to begin');
    const item = sim.items.at(-1)!.id;
    await caller.speak(talkSpurt(200, 750), 0);
    await waitFor(() => truncates(sim).length > 0, 'the truncate');
    expect(truncates(sim)[0]).toMatchObject({ item_id: item, audio_end_ms: 0 });
    await caller.speak(silence(300));
    expect(caller.receivedAudio).toHaveLength(0);
    expect(caller.clears).toBe(0); // nothing was playing: nothing to clear
    caller.hangUp();
  }, 10_000);
});
