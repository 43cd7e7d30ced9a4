import { afterEach, describe, expect, it } from 'vitest';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { turn } from '../../bench/callers/speech-fixtures.ts';
import { defaultAgentConfig } from '../../core/agent-config.ts';
import { createLogger } from '../../core/log.ts';
import { type Harness, sessionFor, startHarness, waitFor } from '../../transports/e2e/harness.ts';
import { type FakeN8n, startFakeN8n } from '../fakes/n8n.ts';
import { type FakeOpenMeteo, startFakeOpenMeteo } from '../fakes/open-meteo.ts';
import { getWeatherFromCoords } from '../get-weather-from-coords.ts';
import { LiveToolRegistry } from '../registry.ts';
import { functionOutputs, offeredToolSchemas, offeredTools, recordingSink } from './tool-call-harness.ts';

let h: Harness | undefined;
let meteo: FakeOpenMeteo | undefined;
let hook: FakeN8n | undefined;
afterEach(async () => {
  await h?.close();
  await meteo?.close();
  await hook?.close();
  h = undefined;
});

describe('an admin-defined webhook tool', () => {
  it('is offered to the next call once defined, and calling it hits the webhook with validated arguments and the secret header', async () => {
    meteo = await startFakeOpenMeteo();
    hook = await startFakeN8n();
    hook.respond = (req) => ({
      status: 200,
      body: { order: JSON.parse(req.body).order_id, status: 'shipped', eta: 'tomorrow' },
    });
    // TODO(storage): create the definition through POST /api/tools and read tool_definitions once that API lands;
    // until then the rows live here and the change is announced on the gateway's bus as storage will announce it.
    const rows: unknown[] = [];
    const tools = await LiveToolRegistry.create({
      builtins: [getWeatherFromCoords({ baseUrl: meteo.url })],
      definitions: async () => rows,
      env: { TOOL_ORDERS_KEY: 'sk-orders-42' },
      log: createLogger('silent'),
    });
    const sink = recordingSink();
    const orderStatus = (args: string) => ({ functionCall: { name: 'order_status', arguments: args } });
    h = await startHarness({
      sim: {
        // The model first sends an order number the schema refuses, then corrects itself, then speaks.
        answer: (ctx) => {
          const out = ctx.functionOutputs[0]?.output;
          if (ctx.trigger === 'speech') return orderStatus('{"order_id":"55"}');
          if (out?.includes('tool_invalid_arguments')) return orderStatus('{"order_id":"5521"}');
          if (out) return { toneMs: 300, transcript: 'Your order ships tomorrow.' };
          return {};
        },
      },
      gateway: {
        tools,
        sink,
        agentConfig: defaultAgentConfig({ enabledTools: ['get_weather_from_coords', 'order_status'] }),
      },
    });
    const stop = tools.follow(h.gateway.ctx.bus);
    const gateway = h.gateway;
    // How the gateway should follow the registry (see the report): live sessions resend their tools between turns.
    tools.onChange(() => gateway.setAgentConfig(gateway.ctx.agentConfig()));

    // Before: the first call is offered the built-in only.
    const before = turn(300, 700, 480);
    const first = new TwilioCaller({ url: h.callUrl, audio: new Uint8Array(0), pace: 20 });
    await first.call();
    await waitFor(
      () => h!.sim.sessions.length === 1 && offeredTools(h!.sim.sessions[0]!).length > 0,
      'the first session.update',
    );
    expect(offeredTools(h.sim.sessions[0]!)[0]).toEqual(['get_weather_from_coords']);

    rows.push({
      name: 'order_status',
      description: 'Look up the status of an order by its number',
      kind: 'webhook',
      url: `${hook.url}/webhook/orders`,
      method: 'POST',
      parameters: {
        type: 'object',
        properties: { order_id: { type: 'string', pattern: '^[0-9]{4,8}$', description: 'The order number' } },
        required: ['order_id'],
        additionalProperties: false,
      },
      headers: { 'x-api-key': { env: 'TOOL_ORDERS_KEY' } },
      timeoutMs: 2000,
      enabled: true,
    });
    const changed = new Promise((r) => tools.onChange(r));
    await h.gateway.ctx.bus.publish('tools', { op: 'upsert', name: 'order_status' });
    await changed;
    // The live call gets the new tool between turns.
    await waitFor(
      () => offeredTools(h!.sim.sessions[0]!).at(-1)?.includes('order_status'),
      'the live session to be offered it',
    );
    first.hangUp();

    // The next call is offered it from its first session.update.
    const caller = new TwilioCaller({ url: h.callUrl, audio: before, pace: 20 });
    await caller.call();
    const sim = await waitFor(() => sessionFor(h!.sim, before), 'the second model session');
    expect(offeredTools(sim)[0]).toEqual(['get_weather_from_coords', 'order_status']);
    expect(offeredToolSchemas(sim)[0]![1]).toMatchObject({
      type: 'function',
      description: 'Look up the status of an order by its number',
      parameters: { required: ['order_id'], properties: { order_id: { pattern: '^[0-9]{4,8}$' } } },
    });

    // The model's first try fails validation without a request; the valid one reaches the webhook with the secret.
    await waitFor(() => sim.outputAudio.byteLength > 0 && !sim.activeResponseId, 'the spoken answer', 5000);
    const outputs = functionOutputs(sim).map((o) => JSON.parse(o.output));
    expect(outputs[0]).toMatchObject({ code: 'tool_invalid_arguments' });
    expect(outputs[1]).toEqual({ order: '5521', status: 'shipped', eta: 'tomorrow' });
    expect(hook.requests).toHaveLength(1);
    const req = hook.requests[0]!;
    expect(req.url.pathname).toBe('/webhook/orders');
    expect(JSON.parse(req.body)).toEqual({ order_id: '5521' });
    expect(req.headers['x-api-key']).toBe('sk-orders-42');
    expect(req.headers['x-voxbridge-call-sid']).toBe(caller.callSid);
    expect(sink.toolCalls().map((t) => [t.name, t.ok])).toEqual([
      ['order_status', false],
      ['order_status', true],
    ]);
    await waitFor(() => caller.receivedBytes().byteLength >= sim.outputAudio.byteLength, 'the answer at the caller');
    caller.hangUp();
    stop();
  });
});
