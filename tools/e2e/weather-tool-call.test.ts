import { afterEach, describe, expect, it } from 'vitest';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { turn } from '../../bench/callers/speech-fixtures.ts';
import { defaultAgentConfig } from '../../core/agent-config.ts';
import { createLogger } from '../../core/log.ts';
import { type Harness, sessionFor, startHarness, waitFor } from '../../transports/e2e/harness.ts';
import { type FakeOpenMeteo, startFakeOpenMeteo } from '../fakes/open-meteo.ts';
import { getWeatherFromCoords } from '../get-weather-from-coords.ts';
import { LiveToolRegistry } from '../registry.ts';
import { controlEvents, functionOutputs, offeredTools, openTestStorage, storedToolCalls } from './tool-call-harness.ts';

let h: Harness | undefined;
let meteo: FakeOpenMeteo | undefined;
let db: Awaited<ReturnType<typeof openTestStorage>> | undefined;
afterEach(async () => {
  await h?.close();
  await meteo?.close();
  await db?.close();
  h = undefined;
  meteo = undefined;
  db = undefined;
});

describe('a tool call in the middle of a phone call', () => {
  it('runs get_weather_from_coords, answers the model once, and a new response plays to the caller', async () => {
    meteo = await startFakeOpenMeteo();
    db = await openTestStorage();
    const { storage } = db;
    const tools = new LiveToolRegistry({
      builtins: [getWeatherFromCoords({ baseUrl: meteo.url })],
      log: createLogger('silent'),
    });
    const args = '{"latitude":52.52,"longitude":13.41}';
    h = await startHarness({
      sim: {
        answer: (ctx) => {
          if (ctx.trigger === 'speech') return { functionCall: { name: 'get_weather_from_coords', arguments: args } };
          if (ctx.functionOutputs.length > 0)
            return { toneMs: 400, transcript: 'It is thirteen degrees and overcast in Berlin.' };
          return {};
        },
      },
      gateway: {
        tools,
        sink: storage.sink,
        bus: storage.bus,
        agentConfig: defaultAgentConfig({ enabledTools: ['get_weather_from_coords'] }),
      },
    });
    const audio = turn(400, 700, 610);
    const caller = new TwilioCaller({ url: h.callUrl, audio, pace: 20 });
    await caller.call();
    const sim = await waitFor(() => sessionFor(h!.sim, audio), 'the model session');
    expect(offeredTools(sim)[0]).toEqual(['get_weather_from_coords']);
    const sessionId = [...h.gateway.sessions][0]!.id;

    // The model asked; the weather service was called with its arguments; one output went back, then one response.create.
    await waitFor(() => sim.outputAudio.byteLength > 0 && !sim.activeResponseId, 'the answer after the tool', 5000);
    expect(meteo.requests).toHaveLength(1);
    expect(meteo.requests[0]!.url.searchParams.get('latitude')).toBe('52.52');
    const outputs = functionOutputs(sim);
    expect(outputs).toHaveLength(1);
    // The output is the tool's JSON, encoded once: it parses to an object, not to a string.
    expect(JSON.parse(outputs[0]!.output)).toMatchObject({
      temperature: 13.4,
      windSpeed: 14.8,
      conditions: 'overcast',
    });
    const control = controlEvents(sim);
    const afterOutput = control.slice(control.indexOf('conversation.item.create'));
    expect(afterOutput.filter((t) => t === 'response.create')).toHaveLength(1);

    // The caller hears the new response, whole.
    await waitFor(() => caller.receivedBytes().byteLength >= sim.outputAudio.byteLength, 'the answer at the caller');
    expect(Buffer.from(caller.receivedBytes()).equals(Buffer.from(sim.outputAudio))).toBe(true);

    // The call's log (session_logs) holds the tool call: name, arguments, output and duration.
    caller.hangUp();
    await waitFor(() => h!.gateway.sessions.size === 0, 'the session to end');
    const logged = await storedToolCalls(storage, sessionId);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      name: 'get_weather_from_coords',
      arguments: args,
      ok: true,
      output: outputs[0]!.output,
    });
    expect(logged[0]!.callId).toBe(outputs[0]!.callId);
    expect(logged[0]!.durationMs).toBeGreaterThan(0);
  });
});
