import { afterEach, describe, expect, it } from 'vitest';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { turn } from '../../bench/callers/speech-fixtures.ts';
import { createLogger } from '../../core/log.ts';
import { followAgentConfig, storageGatewayOptions } from '../../transports/api-storage-wiring.ts';
import { type Harness, sessionFor, startHarness, waitFor } from '../../transports/e2e/harness.ts';
import { toolRoutes } from '../../transports/tools-route.ts';
import { type FakeN8n, startFakeN8n } from '../fakes/n8n.ts';
import { type FakeOpenMeteo, startFakeOpenMeteo } from '../fakes/open-meteo.ts';
import { getWeatherFromCoords } from '../get-weather-from-coords.ts';
import { LiveToolRegistry } from '../registry.ts';
import {
  functionOutputs,
  offeredToolSchemas,
  offeredTools,
  openTestStorage,
  storedToolCalls,
} from './tool-call-harness.ts';

let h: Harness | undefined;
let meteo: FakeOpenMeteo | undefined;
let hook: FakeN8n | undefined;
let db: Awaited<ReturnType<typeof openTestStorage>> | undefined;
afterEach(async () => {
  await h?.close();
  await meteo?.close();
  await hook?.close();
  await db?.close();
  h = undefined;
  db = undefined;
});

const ADMIN = 'e2e-admin-token';

/** What an admin posts to `/api/tools`. */
const ORDER_STATUS = {
  name: 'order_status',
  description: 'Look up the status of an order by its number',
  kind: 'webhook',
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
};

describe('an admin-defined webhook tool', () => {
  it('is offered to live and next calls once defined, and calling it hits the webhook with validated arguments and the secret header', async () => {
    meteo = await startFakeOpenMeteo();
    hook = await startFakeN8n();
    hook.respond = (req) => ({
      status: 200,
      body: { order: JSON.parse(req.body).order_id, status: 'shipped', eta: 'tomorrow' },
    });
    db = await openTestStorage();
    const { storage } = db;
    const log = createLogger('silent');
    const tools = await LiveToolRegistry.create({
      builtins: [getWeatherFromCoords({ baseUrl: meteo.url })],
      definitions: storage.toolDefinitions.definitions,
      env: { TOOL_ORDERS_KEY: 'sk-orders-42' },
      log,
    });
    const storageOptions = storageGatewayOptions(storage, log);
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
      config: { ADMIN_TOKEN: ADMIN },
      gateway: {
        tools,
        ...storageOptions,
        // The gateway as npm start wires it: the admin API from storage, plus GET /tools and the tool test route.
        routes: [...storageOptions.routes, toolRoutes(tools)],
      },
    });
    const gateway = h.gateway;
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${h!.httpUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const stop = tools.follow(storage.bus);
    const unfollow = followAgentConfig(storage, gateway);
    tools.onChange(() => gateway.setAgentConfig(gateway.ctx.agentConfig()));

    // The admin offers the weather and (not yet existing) order tool in the agent config.
    const saved = await api('PUT', '/api/agent-config', { enabledTools: ['get_weather_from_coords', 'order_status'] });
    expect(saved.status).toBe(200);
    await waitFor(() => gateway.ctx.agentConfig().enabledTools.includes('order_status'), 'the config to apply');

    // Before: a live call is offered the built-in only.
    const first = new TwilioCaller({ url: h.callUrl, audio: new Uint8Array(0), pace: 20 });
    await first.call();
    const live = await waitFor(() => h!.sim.sessions[0], 'the first model session');
    await waitFor(() => offeredTools(live).length > 0, 'the first session.update');
    expect(offeredTools(live)[0]).toEqual(['get_weather_from_coords']);

    // The admin defines the tool through the API; storage announces it on the bus and the registry reloads.
    const changed = new Promise((r) => tools.onChange(r));
    const created = await api('POST', '/api/tools', { ...ORDER_STATUS, url: `${hook.url}/webhook/orders` });
    expect(created.status).toBe(201);
    await changed;
    // GET /tools: the schemas the active config offers to the model, now with the admin's tool.
    const listed = (await (await fetch(`${h.httpUrl}/tools`)).json()) as Array<{ type: string; name: string }>;
    expect(listed.map((t) => [t.type, t.name])).toEqual([
      ['function', 'get_weather_from_coords'],
      ['function', 'order_status'],
    ]);
    // The live call gets it between turns; the next call from its first session.update.
    await waitFor(() => offeredTools(live).at(-1)?.includes('order_status'), 'the live session to be offered it');
    first.hangUp();

    const audio = turn(300, 700, 480);
    const caller = new TwilioCaller({ url: h.callUrl, audio, pace: 20 });
    await caller.call();
    const sim = await waitFor(() => sessionFor(h!.sim, audio), 'the second model session');
    const sessionId = [...gateway.sessions].at(-1)!.id;
    expect(offeredTools(sim)[0]).toEqual(['get_weather_from_coords', 'order_status']);
    expect(offeredToolSchemas(sim)[0]![1]).toEqual({
      type: 'function',
      name: 'order_status',
      description: ORDER_STATUS.description,
      parameters: ORDER_STATUS.parameters,
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
    await waitFor(() => caller.receivedBytes().byteLength >= sim.outputAudio.byteLength, 'the answer at the caller');

    // Stored: the definition names the variable, never the secret; the call's log holds both calls.
    const stored = await storage.toolDefinitions.get('order_status');
    expect(stored?.headers).toEqual({ 'x-api-key': { env: 'TOOL_ORDERS_KEY' } });
    caller.hangUp();
    await waitFor(() => gateway.sessions.size === 0, 'the calls to end');
    const logged = await storedToolCalls(storage, sessionId);
    expect(logged.map((t) => [t.name, t.ok])).toEqual([
      ['order_status', false],
      ['order_status', true],
    ]);
    expect(JSON.stringify(logged)).not.toContain('sk-orders-42');

    // The admin's test button runs it too, answering result and timing.
    const tested = await api('POST', '/api/tools/order_status/test', { order_id: '7777' });
    expect(tested.status).toBe(200);
    const answer = (await tested.json()) as { ok: boolean; result: unknown; durationMs: number };
    expect(answer).toMatchObject({ ok: true, result: { order: '7777', status: 'shipped' } });
    expect(answer.durationMs).toBeGreaterThan(0);
    expect(hook.requests.at(-1)!.headers['x-api-key']).toBe('sk-orders-42');
    unfollow();
    stop();
  });
});
