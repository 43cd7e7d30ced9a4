import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { turn } from '../../bench/callers/speech-fixtures.ts';
import { defineTool, type Tool } from '../../tools/define-tool.ts';
import { LiveToolRegistry } from '../../tools/registry.ts';
import { type Harness, sessionFor, startHarness, waitFor } from '../../transports/e2e/harness.ts';
import { defaultAgentConfig } from '../agent-config.ts';
import { createLogger } from '../log.ts';
import type { SimulatorOptions } from '../realtime/simulator.ts';
import type { SimSession } from '../realtime/simulator-session.ts';
import type { SessionEvent, SessionSink, ToolCallEvent } from '../session-events.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});


function sink(): SessionSink & { events: SessionEvent[] } {
  const events: SessionEvent[] = [];
  return { events, record: (e) => void events.push(e) };
}

/** Client events the model received, without audio, as `type` or `type:item.type`. */
function control(sim: SimSession): string[] {
  return sim.received.map((r) =>
    r.type === 'conversation.item.create' ? `item:${(r.event.item as { type: string }).type}` : r.type,
  );
}

function outputs(sim: SimSession): Array<{ call_id: string; output: string }> {
  return sim.received
    .filter((r) => r.type === 'conversation.item.create' && (r.event.item as { type: string }).type === 'function_call_output')
    .map((r) => r.event.item as { call_id: string; output: string });
}

interface Calls {
  runs: Array<{ name: string; args: unknown; signal: AbortSignal; startedAt: number; endedAt?: number; inputBytesAtStart: number; inputBytesAtEnd?: number }>;
}

/** Real tools through the real registry (tools/), each recording its runs. */
function tools(calls: Calls, current: () => SimSession | undefined): Tool[] {
  const record = (name: string, args: unknown, signal: AbortSignal) => {
    const run: Calls['runs'][number] = { name, args, signal, startedAt: performance.now(), inputBytesAtStart: current()?.inputBytes ?? 0 };
    calls.runs.push(run);
    return run;
  };
  return [
    defineTool({
      name: 'lookup_order',
      description: 'Looks an order up',
      parameters: z.object({ id: z.number().int() }),
      timeoutMs: 2000,
      run: async (args, ctx) => {
        const run = record('lookup_order', args, ctx.signal);
        await sleep(150);
        run.inputBytesAtEnd = current()?.inputBytes;
        return { id: args.id, status: 'shipped', note: 'quoted "text" stays text' };
      },
    }),
    defineTool({
      name: 'slow_lookup',
      description: 'Takes a while',
      parameters: z.object({}),
      timeoutMs: 5000,
      run: async (_args, ctx) => {
        const run = record('slow_lookup', {}, ctx.signal);
        await sleep(600);
        run.endedAt = performance.now();
        run.inputBytesAtEnd = current()?.inputBytes;
        return 'plain text result';
      },
    }),
    defineTool({
      name: 'broken',
      description: 'Always fails',
      parameters: z.object({}),
      timeoutMs: 1000,
      run: async (_args, ctx) => {
        record('broken', {}, ctx.signal);
        throw new Error('database on fire');
      },
    }),
    defineTool({
      name: 'hang',
      description: 'Never answers',
      parameters: z.object({}),
      timeoutMs: 10_000,
      run: (_args, ctx) => {
        record('hang', {}, ctx.signal);
        return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
      },
    }),
  ];
}

async function setup(sim: SimulatorOptions) {
  const calls: Calls = { runs: [] };
  let current: SimSession | undefined;
  const s = sink();
  const registry = await LiveToolRegistry.create({ builtins: tools(calls, () => current), log: createLogger('silent') });
  h = await startHarness({
    sim,
    gateway: { tools: registry, sink: s, agentConfig: defaultAgentConfig({ enabledTools: ['lookup_order', 'slow_lookup', 'broken', 'hang'] }) },
  });
  h.sim.onSession((x) => {
    current = x;
  });
  return { calls, sink: s };
}

describe('tool calls', () => {
  it('runs each of several calls in one response once, answers each once as a plain string, then sends one response.create', async () => {
    let step = 0;
    const { calls, sink } = await setup({
      answer: (ctx) => {
        step++;
        if (step === 1)
          return {
            toneMs: 200,
            transcript: 'Let me check.',
            functionCalls: [
              { name: 'lookup_order', arguments: '{"id":42}' },
              { name: 'broken', arguments: '{}' },
              { name: 'lookup_order', arguments: '{"id":"not a number"}' },
            ],
          };
        return { toneMs: 200, transcript: `Done: ${ctx.functionOutputs.length} results.` };
      },
    });
    const audio = turn(300, 600, 440);
    const caller = new TwilioCaller({ url: h!.callUrl, audio, pace: 10 });
    await caller.call();
    const sim = await waitFor(() => sessionFor(h!.sim, audio), 'the model session');
    await waitFor(() => step >= 2 && !sim.activeResponseId, 'the answer after the tools', 5000);
    await sleep(100);

    // Both completion events (arguments.done and output_item.done) arrived for each call: each ran once.
    expect(calls.runs.map((r) => r.name)).toEqual(['lookup_order', 'broken']); // the third never reached its tool
    const outs = outputs(sim);
    expect(outs).toHaveLength(3);
    const callIds = sim.items.filter((i) => i.type === 'function_call').length;
    expect(callIds).toBe(3);
    expect(new Set(outs.map((o) => o.call_id)).size).toBe(3);
    // Answered as they finish (invalid arguments at once, the failure next, the lookup after 150 ms). Each output is a
    // string, JSON-encoded once: parsing it once gives the object.
    const parsed = outs.map((o) => JSON.parse(o.output) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({ code: 'tool_invalid_arguments' });
    expect(parsed[1]).toMatchObject({ error: 'broken failed', code: 'tool_failed' });
    expect(parsed[2]).toEqual({ id: 42, status: 'shipped', note: 'quoted "text" stays text' });
    // One response.create, after all three outputs (the model's own response was done by then).
    const ctl = control(sim).filter((t) => t !== 'session.update');
    expect(ctl).toEqual(['item:function_call_output', 'item:function_call_output', 'item:function_call_output', 'response.create']);
    const toolEvents = sink.events.filter((e): e is ToolCallEvent => e.type === 'tool_call');
    expect(toolEvents.map((e) => [e.name, e.ok])).toEqual([
      ['lookup_order', false],
      ['broken', false],
      ['lookup_order', true],
    ]);
    expect(toolEvents[2]!.output).toBe(outs[2]!.output);
    expect(caller.closed).toBe(false);
    caller.hangUp();
  });

  it('keeps audio flowing both ways while a tool runs, and a magic phrase scripts the call', async () => {
    let n = 0;
    const { calls } = await setup({
      transcribe: () => (++n === 1 ? 'Where is my order? [call slow_lookup {}]' : 'and also'),
      answer: (ctx) => (ctx.trigger === 'speech' && n === 1 ? { toneMs: 300, transcript: 'One moment.' } : { toneMs: 200, transcript: 'Still looking.' }),
    });
    const caller = new TwilioCaller({ url: h!.callUrl, audio: turn(300, 600, 520), pace: 2, continuous: true });
    void caller.call();
    const sim = await waitFor(() => h!.sim.sessions[0], 'the model session');
    await waitFor(() => calls.runs.length === 1, 'the tool to start', 5000);
    // The caller speaks while the tool runs, and the model answers it: audio flows both ways meanwhile.
    void caller.speak(turn(200, 600, 540));
    await waitFor(() => outputs(sim).length === 1, 'the slow tool to answer', 5000);
    const run = calls.runs[0]!;
    expect(run.args).toEqual({});
    expect(run.inputBytesAtEnd! - run.inputBytesAtStart).toBeGreaterThan(8 * 600); // > 600 ms of caller audio at pace 2
    const secondItem = sim.items.filter((i) => i.role === 'assistant' && i.type === 'message')[1]!.id;
    const duringTool = caller.received.filter((r) => r.event.event === 'mark' && String((r.event.mark as { name: string }).name).startsWith(secondItem));
    expect(duringTool.length).toBeGreaterThan(0);
    expect(duringTool[0]!.at).toBeLessThan(run.endedAt!);
    expect(outputs(sim)[0]!.output).toBe('plain text result'); // a string result goes as it is
    // The output arrived while the second response was active or after it: one response.create, once it was done.
    await waitFor(() => control(sim).includes('response.create'), 'the response after the tool');
    caller.hangUp();
  });

  it('follows a simulator scripted by data (no code): call, output, answer', async () => {
    const { calls } = await setup({ script: [{ functionCall: { name: 'lookup_order', arguments: '{"id":3}' } }, { toneMs: 200, transcript: 'Your order shipped.' }] });
    const audio = turn(300, 600, 590);
    const caller = new TwilioCaller({ url: h!.callUrl, audio, pace: 10 });
    await caller.call();
    const sim = await waitFor(() => sessionFor(h!.sim, audio), 'the model session');
    await waitFor(() => sim.responses === 2 && !sim.activeResponseId, 'the scripted answer', 3000);
    expect(calls.runs.map((r) => r.args)).toEqual([{ id: 3 }]);
    expect(JSON.parse(outputs(sim)[0]!.output)).toMatchObject({ id: 3, status: 'shipped' });
    await waitFor(() => caller.receivedAudio.length > 0, 'the answer at the caller');
    caller.hangUp();
  });

  it('aborts a running tool when the call ends', async () => {
    const { calls } = await setup({ answer: () => ({ functionCall: { name: 'hang', arguments: '{}' } }) });
    const audio = turn(300, 600, 610);
    const caller = new TwilioCaller({ url: h!.callUrl, audio, pace: 10 });
    await caller.call();
    await waitFor(() => calls.runs.length === 1, 'the tool to start');
    expect(calls.runs[0]!.signal.aborted).toBe(false);
    caller.hangUp();
    await waitFor(() => calls.runs[0]!.signal.aborted, 'the tool to be aborted');
    await waitFor(() => h!.gateway.sessions.size === 0, 'the session to end');
  });

  it('treats conversation_already_has_active_response as news, not failure: no loop, no second answer, the call goes on', async () => {
    let step = 0;
    const { calls } = await setup({
      activeResponseRaces: 1,
      answer: (ctx) => (++step === 1 ? { functionCall: { name: 'lookup_order', arguments: '{"id":7}' } } : { toneMs: 150, transcript: `answer ${ctx.trigger}` }),
    });
    const audio = turn(300, 600, 660);
    const caller = new TwilioCaller({ url: h!.callUrl, audio, pace: 10 });
    await caller.call();
    const sim = await waitFor(() => sessionFor(h!.sim, audio), 'the model session');
    // Our response.create lost the race to a response the server started itself; that response saw the output.
    await waitFor(() => step >= 2 && !sim.activeResponseId, 'the raced response', 5000);
    await sleep(400);
    expect(calls.runs).toHaveLength(1);
    expect(control(sim).filter((t) => t === 'response.create')).toHaveLength(1);
    expect(step).toBe(2); // exactly one answer after the tool
    // The call goes on: the next turn is answered.
    const before = caller.receivedBytes().byteLength;
    await caller.speak(turn(300, 600, 660));
    await waitFor(() => caller.receivedBytes().byteLength > before, 'an answer to the next turn', 5000);
    expect(h!.gateway.sessions.size).toBe(1);
    caller.hangUp();
  });
});
