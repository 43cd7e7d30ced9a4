import { afterEach, describe, expect, it } from 'vitest';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { turn } from '../../bench/callers/speech-fixtures.ts';
import { type Harness, startHarness, waitFor } from '../../transports/e2e/harness.ts';
import { defaultAgentConfig } from '../agent-config.ts';
import type { SimSession } from '../realtime/simulator-session.ts';
import type { ToolRegistry } from '../tool-registry.ts';
import type { LifecycleEvent, SessionEvent, SessionSink } from '../session-events.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function sink(): SessionSink & { events: SessionEvent[]; named(name: string): LifecycleEvent[] } {
  const events: SessionEvent[] = [];
  return {
    events,
    record: (e) => void events.push(e),
    named: (name) => events.filter((e): e is LifecycleEvent => e.type === 'event' && e.name === name),
  };
}

/** The conversation replayed on a new connection: each item as role/type and text. */
function replayed(sim: SimSession): string[] {
  return sim.received
    .filter((r) => r.type === 'conversation.item.create')
    .map((r) => {
      const item = r.event.item as { type: string; role?: string; content?: Array<{ type: string; text: string }>; name?: string; output?: string };
      if (item.type === 'message') return `${item.role}:${item.content?.[0]?.type}:${item.content?.[0]?.text}`;
      if (item.type === 'function_call') return `call:${item.name}`;
      return `output:${item.output}`;
    });
}

/** A model that transcribes each turn as "question N" and answers "answer N". */
function numbered() {
  let q = 0;
  let a = 0;
  return {
    transcribe: () => `question ${++q}`,
    answer: (ctx: { trigger: string }) => (ctx.trigger === 'speech' ? { toneMs: 300, transcript: `answer ${++a}` } : { toneMs: 300, transcript: `answer ${++a} (again)` }),
  };
}

describe('model connection lost or expiring', () => {
  it('reconnects after a dropped model socket, replays the conversation as text, and the call carries on', async () => {
    const s = sink();
    h = await startHarness({ sim: numbered(), gateway: { sink: s } });
    const caller = new TwilioCaller({ url: h.callUrl, audio: turn(300, 600, 450), pace: 4, continuous: true });
    void caller.call();
    const first = await waitFor(() => h!.sim.sessions[0], 'the first model session');
    await waitFor(() => !first.activeResponseId && first.outputAudio.byteLength > 0, 'the first answer');
    await waitFor(() => s.events.some((e) => e.type === 'transcript' && e.role === 'assistant'), 'the first answer heard', 3000);
    caller.dtmf('7');
    await waitFor(() => first.received.some((r) => r.type === 'conversation.item.create'), 'the digit at the model');
    const inBefore = first.inputBytes;

    h.sim.drop(first);
    const second = await waitFor(() => h!.sim.sessions[1], 'a new model session', 3000);
    await waitFor(() => second.received.some((r) => r.type === 'conversation.item.create'), 'the replay');
    expect(second.received[0]!.type).toBe('session.update');
    expect(replayed(second)).toEqual(['user:input_text:question 1', 'assistant:output_text:answer 1', 'user:input_text:The caller pressed 7']);
    // The caller's line kept flowing into the new connection.
    await waitFor(() => second.inputBytes > 8 * 200, 'caller audio at the new connection');

    const heard = caller.receivedBytes().byteLength;
    await caller.speak(turn(300, 600, 450));
    await waitFor(() => caller.receivedBytes().byteLength > heard, 'an answer from the new connection', 3000);
    expect(second.items.some((i) => i.role === 'assistant' && i.text === 'answer 2')).toBe(true);
    expect(caller.closed).toBe(false);
    expect(s.named('model_reconnect')).toHaveLength(1);
    const session = [...h.gateway.sessions][0]!;
    caller.hangUp();
    await waitFor(() => second.closed, 'the call to end');
    // The caller's audio reached one model or the other, or was counted as dropped. The only loss is what was
    // written into the dead socket before its close was seen: a frame or two on loopback.
    const framesSent = caller.frameSentAt.length;
    const framesAtModels = (first.inputBytes + second.inputBytes) / 160;
    expect(framesAtModels + (session.metricsSnapshot().framesDropped as number)).toBeGreaterThanOrEqual(framesSent - 3);
    expect(first.inputBytes).toBeGreaterThanOrEqual(inBefore);
  });

  it('finishes a tool call across a dropped connection: the output and the response go to the new one', async () => {
    let step = 0;
    const tools: ToolRegistry = {
      schemas: () => [{ type: 'function', name: 'slow', description: 'Slow', parameters: { type: 'object', properties: {} } }],
      run: async () => {
        await new Promise((r) => setTimeout(r, 400));
        return { ok: true, output: 'done slowly', durationMs: 400 };
      },
    };
    h = await startHarness({
      sim: { transcribe: () => 'do it', answer: (ctx) => (++step === 1 ? { functionCall: { name: 'slow', arguments: '{}' } } : { toneMs: 200, transcript: `answer after ${ctx.functionOutputs.map((o) => o.output).join()}` }) },
      gateway: { tools, agentConfig: defaultAgentConfig({ enabledTools: ['slow'] }) },
    });
    const caller = new TwilioCaller({ url: h.callUrl, audio: turn(300, 600, 455), pace: 4, continuous: true });
    void caller.call();
    const first = await waitFor(() => h!.sim.sessions[0], 'the model session');
    await waitFor(() => first.items.some((i) => i.type === 'function_call') && !first.activeResponseId, 'the call', 3000);
    h.sim.drop(first);
    const second = await waitFor(() => h!.sim.sessions[1], 'a new model session', 3000);
    await waitFor(() => second.items.some((i) => i.role === 'assistant' && i.type === 'message' && i.sentBytes > 0), 'the answer on the new connection', 3000);
    expect(replayed(second)).toEqual(['user:input_text:do it', 'call:slow', 'output:done slowly']);
    expect(second.received.filter((r) => r.type === 'response.create')).toHaveLength(1);
    expect(second.items.at(-1)!.text).toBe('answer after done slowly');
    expect(first.received.some((r) => (r.event.item as { type?: string } | undefined)?.type === 'function_call_output')).toBe(false);
    await waitFor(() => caller.receivedAudio.length > 0, 'the answer at the caller');
    caller.hangUp();
  });

  it('cuts an answer still playing from a dropped connection without sending its item to the new one', async () => {
    const s = sink();
    const words = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet';
    h = await startHarness({ sim: { transcribe: () => 'tell me', answer: () => ({ toneMs: 2000, transcript: words }) }, gateway: { sink: s } });
    const caller = new TwilioCaller({ url: h.callUrl, audio: turn(200, 550, 520), pace: 1, continuous: true });
    void caller.call();
    const first = await waitFor(() => h!.sim.sessions[0], 'the model session');
    const playing = await waitFor(() => caller.received.find((r) => r.event.event === 'media'), 'the answer to start', 3000);
    await new Promise((r) => setTimeout(r, Math.max(0, playing.at + 300 - performance.now())));
    h.sim.drop(first);
    const second = await waitFor(() => h!.sim.sessions[1], 'a new model session', 3000);
    await new Promise((r) => setTimeout(r, Math.max(0, playing.at + 1000 - performance.now())));
    void caller.speak(turn(200, 550, 560));
    await waitFor(() => caller.clearLog.length === 1, 'the clear');
    const cut = await waitFor(() => s.events.find((e) => e.type === 'transcript' && e.role === 'assistant'), 'the cut transcript');
    expect(cut).toMatchObject({ truncated: true });
    // In proportion to what the caller heard of the 2 s answer (its own record; no truncate went anywhere).
    const kept = (cut as { text: string }).text.split(' ').length;
    expect(Math.abs(kept - (caller.clearLog[0]!.heardMs / 2000) * 10)).toBeLessThanOrEqual(1);
    expect(second.received.some((r) => r.type === 'conversation.item.truncate')).toBe(false);
    expect(caller.clearLog[0]!.heardMs).toBeGreaterThan(900);
    caller.hangUp();
  });

  it('rolls over when the server expires the session (session_expired) and carries on', async () => {
    const s = sink();
    h = await startHarness({ sim: { ...numbered(), maxSessionMs: 1200 }, gateway: { sink: s } });
    const caller = new TwilioCaller({ url: h.callUrl, audio: turn(300, 600, 470), pace: 2, continuous: true });
    void caller.call();
    await waitFor(() => h!.sim.sessions[0]?.closed, 'the first session to expire', 3000);
    expect(h.sim.sessions[0]!.closeReason).toBe('session expired');
    const second = await waitFor(() => h!.sim.sessions[1], 'a new model session', 3000);
    await waitFor(() => replayed(second).length >= 2, 'the replay');
    expect(replayed(second).slice(0, 2)).toEqual(['user:input_text:question 1', 'assistant:output_text:answer 1']);
    const heard = caller.receivedBytes().byteLength;
    await caller.speak(turn(300, 600, 470));
    await waitFor(() => caller.receivedBytes().byteLength > heard, 'an answer after the expiry', 3000);
    expect(caller.closed).toBe(false);
    caller.hangUp();
  });

  it('rolls over before the limit between turns, on a connection opened in advance: no gap, nothing lost', async () => {
    const s = sink();
    h = await startHarness({ sim: { ...numbered(), maxSessionMs: 5000 }, config: { MODEL_SESSION_MAX_MS: 1500 }, gateway: { sink: s } });
    const caller = new TwilioCaller({ url: h.callUrl, audio: turn(300, 600, 490), pace: 1, continuous: true });
    void caller.call();
    await waitFor(() => s.named('model_rollover').length >= 1, 'a rollover', 4000);
    const [first, second] = h.sim.sessions;
    await waitFor(() => replayed(second!).length >= 2, 'the replay at the new connection');
    // The new connection was open before the switch: the replay came right after its session.update.
    expect(second!.received.map((r) => r.type).slice(0, 3)).toEqual(['session.update', 'conversation.item.create', 'conversation.item.create']);
    expect(replayed(second!)).toEqual(['user:input_text:question 1', 'assistant:output_text:answer 1']);
    expect(first!.closeReason).not.toBe('session expired');
    const t0 = performance.now();
    await caller.speak(turn(300, 600, 490));
    await waitFor(() => caller.received.some((r) => r.at > t0 && r.event.event === 'media'), 'an answer on the new connection', 3000);
    expect(second!.items.some((i) => i.role === 'assistant' && i.text === 'answer 2')).toBe(true);
    expect(caller.itemGaps(20)).toEqual([]);
    expect(s.named('model_rollover')[0]!.data).toMatchObject({ reason: 'rollover', replayedItems: 2 });
    caller.hangUp();
  }, 10_000);

  it('gives up cleanly when the model cannot be reached: a played apology, then hang-up', async () => {
    const s = sink();
    h = await startHarness({ sim: numbered(), gateway: { sink: s } });
    const caller = new TwilioCaller({ url: h.callUrl, audio: turn(300, 600, 430), pace: 4, continuous: true });
    void caller.call();
    const first = await waitFor(() => h!.sim.sessions[0], 'the model session');
    await waitFor(() => first.outputAudio.byteLength > 0 && !first.activeResponseId, 'the first answer');
    h.sim.refuseConnections = true;
    const before = caller.receivedAudio.length;
    h.sim.drop(first);
    await caller.whenClosed();
    expect(h.sim.sessions).toHaveLength(1); // every reconnect was refused
    const cue = caller.received.filter((r) => r.event.event === 'mark' && String((r.event.mark as { name: string }).name).startsWith('voxbridge-apology@'));
    expect(cue.length).toBeGreaterThan(0);
    expect(caller.receivedAudio.length).toBeGreaterThan(before);
    // The apology was played to the end before the hang-up.
    expect(caller.echoedMarks.filter((m) => m.name.startsWith('voxbridge-apology@') && !m.afterClear)).toHaveLength(cue.length);
    expect(s.events.some((e) => e.type === 'error' && e.code === 'model_unreachable')).toBe(true);
    const ended = await waitFor(() => s.events.find((e) => e.type === 'session.ended'), 'the session end');
    expect(ended).toMatchObject({ reason: 'model unreachable' });
  }, 15_000);
});
