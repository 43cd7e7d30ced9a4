import { afterEach, describe, expect, it } from 'vitest';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { turn } from '../../bench/callers/speech-fixtures.ts';
import { type Harness, startHarness, waitFor } from '../../transports/e2e/harness.ts';
import { defaultAgentConfig } from '../agent-config.ts';
import type { ToolRegistry } from '../tool-registry.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('the session on the beta dialect', () => {
  it('runs a tool whose arguments.done carries no name, once, and replays beta-shaped text after a drop', async () => {
    const ran: string[] = [];
    // A registry of our own (the interface in core/tool-registry.ts): the point here is the wire, not the tools.
    const tools: ToolRegistry = {
      schemas: () => [{ type: 'function', name: 'ping', description: 'Ping', parameters: { type: 'object', properties: {} } }],
      run: async (name) => {
        ran.push(name);
        return { ok: true, output: 'pong', durationMs: 1 };
      },
    };
    let step = 0;
    h = await startHarness({
      sim: {
        transcribe: () => 'ping please',
        answer: () => (++step === 1 ? { functionCall: { name: 'ping', arguments: '{}' } } : { toneMs: 200, transcript: 'It said pong.' }),
      },
      gateway: { tools, agentConfig: defaultAgentConfig({ apiMode: 'beta', enabledTools: ['ping'] }) },
    });
    const caller = new TwilioCaller({ url: h.callUrl, audio: turn(300, 600, 450), pace: 4, continuous: true });
    void caller.call();
    const first = await waitFor(() => h!.sim.sessions[0], 'the model session');
    expect(first.mode).toBe('beta');
    await waitFor(() => step >= 2 && !first.activeResponseId && caller.receivedAudio.length > 0, 'the answer after the tool', 3000);
    expect(ran).toEqual(['ping']);
    await waitFor(() => caller.queuedMs() === 0, 'the answer to be heard', 3000);
    await new Promise((r) => setTimeout(r, 100));

    h.sim.drop(first);
    const second = await waitFor(() => h!.sim.sessions[1], 'a new model session', 3000);
    await waitFor(() => second.received.filter((r) => r.type === 'conversation.item.create').length >= 4, 'the replay');
    const items = second.received.filter((r) => r.type === 'conversation.item.create').map((r) => r.event.item);
    expect(items).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'ping please' }] },
      { type: 'function_call', call_id: expect.any(String), name: 'ping', arguments: '{}' },
      { type: 'function_call_output', call_id: expect.any(String), output: 'pong' },
      { type: 'message', role: 'assistant', content: [{ type: 'text', text: 'It said pong.' }] },
    ]);
    expect(second.received[0]!.type).toBe('session.update');
    expect((second.received[0]!.event.session as { input_audio_format: string }).input_audio_format).toBe('g711_ulaw');
    caller.hangUp();
  });
});
