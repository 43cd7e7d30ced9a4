import { afterEach, describe, expect, it } from 'vitest';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { turn } from '../../bench/callers/speech-fixtures.ts';
import { defaultAgentConfig } from '../../core/agent-config.ts';
import { createLogger } from '../../core/log.ts';
import type { Answer } from '../../core/realtime/simulator-session.ts';
import { type Harness, sessionFor, startHarness, waitFor } from '../../transports/e2e/harness.ts';
import { type FakeN8n, startFakeN8n } from '../fakes/n8n.ts';
import { type FakeOpenMeteo, startFakeOpenMeteo } from '../fakes/open-meteo.ts';
import { getWeatherFromCoords } from '../get-weather-from-coords.ts';
import { LiveToolRegistry } from '../registry.ts';
import { functionOutputs, recordingSink } from './tool-call-harness.ts';

let h: Harness | undefined;
let meteo: FakeOpenMeteo | undefined;
let hook: FakeN8n | undefined;
afterEach(async () => {
  await h?.close();
  await meteo?.close();
  await hook?.close();
  h = undefined;
});

describe('tool calls that fail', () => {
  it('answers an unknown tool, invalid arguments and a hung tool to the model as errors, and the call goes on', async () => {
    meteo = await startFakeOpenMeteo();
    hook = await startFakeN8n();
    hook.mode = 'hang';
    const sink = recordingSink();
    const tools = await LiveToolRegistry.create({
      builtins: [getWeatherFromCoords({ baseUrl: meteo.url })],
      definitions: async () => [
        {
          name: 'slow_crm',
          description: 'A CRM that never answers',
          kind: 'webhook',
          url: `${hook!.url}/crm`,
          parameters: { type: 'object', properties: {} },
          timeoutMs: 300,
        },
      ],
      log: createLogger('silent'),
    });
    // The model's script: three bad calls in a row (each answer prompts the next), then speech; speech again later.
    const script: Answer[] = [
      { functionCall: { name: 'no_such_tool', arguments: '{}' } },
      { functionCall: { name: 'get_weather_from_coords', arguments: '{"latitude":"north","longitude":2}' } },
      { functionCall: { name: 'slow_crm', arguments: '{}' } },
      { toneMs: 300, transcript: 'Sorry, I could not look that up.' },
    ];
    let step = 0;
    h = await startHarness({
      sim: {
        answer: (ctx) => (ctx.trigger === 'speech' && step >= script.length ? { toneMs: 300 } : (script[step++] ?? {})),
      },
      gateway: {
        tools,
        sink,
        agentConfig: defaultAgentConfig({ enabledTools: ['get_weather_from_coords', 'slow_crm'] }),
      },
    });
    const audio = turn(400, 700, 577);
    const caller = new TwilioCaller({ url: h.callUrl, audio, pace: 20 });
    await caller.call();
    const sim = await waitFor(() => sessionFor(h!.sim, audio), 'the model session');

    await waitFor(
      () => functionOutputs(sim).length === 3 && sim.outputAudio.byteLength > 0 && !sim.activeResponseId,
      'the apology',
      5000,
    );
    const errors = functionOutputs(sim).map((o) => JSON.parse(o.output) as { error: string; code: string });
    expect(errors.map((e) => e.code)).toEqual(['tool_unknown', 'tool_invalid_arguments', 'tool_timeout']);
    expect(errors[1]!.error).toMatch(/latitude/);
    expect(meteo.requests).toHaveLength(0); // invalid arguments never reach the service
    expect(hook.requests).toHaveLength(1);
    expect(sink.toolCalls().map((t) => [t.name, t.ok])).toEqual([
      ['no_such_tool', false],
      ['get_weather_from_coords', false],
      ['slow_crm', false],
    ]);
    expect(sink.toolCalls()[2]!.durationMs).toBeGreaterThanOrEqual(290);

    // The caller heard the apology, and the call goes on: another turn, another answer.
    await waitFor(() => caller.receivedBytes().byteLength >= sim.outputAudio.byteLength, 'the apology at the caller');
    const heardBefore = caller.receivedBytes().byteLength;
    await caller.speak(turn(400, 700, 577));
    await waitFor(() => caller.receivedBytes().byteLength > heardBefore, 'an answer to the next turn', 5000);
    expect(caller.closed).toBe(false);
    expect(h.gateway.sessions.size).toBe(1);
    caller.hangUp();
  });
});
