import uWS from 'uWebSockets.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/log.ts';
import { type FakeOpenMeteo, startFakeOpenMeteo } from '../tools/fakes/open-meteo.ts';
import { getWeatherFromCoords } from '../tools/get-weather-from-coords.ts';
import { LiveToolRegistry } from '../tools/registry.ts';
import { registerToolTestRoute } from './api-tool-test.ts';

const TOKEN = 'admin-token-for-tests';
let meteo: FakeOpenMeteo;
let listen: uWS.us_listen_socket;
let base: string;

beforeAll(async () => {
  meteo = await startFakeOpenMeteo();
  const log = createLogger('silent');
  const registry = await LiveToolRegistry.create({
    builtins: [getWeatherFromCoords({ baseUrl: meteo.url, timeoutMs: 300 })],
    definitions: async () => [
      {
        name: 'disabled_hook',
        description: 'A webhook not yet enabled',
        kind: 'webhook',
        url: `${meteo.url}/not-here`,
        parameters: { type: 'object', properties: {} },
        enabled: false,
      },
    ],
    log,
  });
  const app = uWS.App();
  registerToolTestRoute(app, { tools: registry, log, adminToken: TOKEN });
  await new Promise<void>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (token) => {
      if (!token) return reject(new Error('listen failed'));
      listen = token;
      base = `http://127.0.0.1:${uWS.us_socket_local_port(token)}`;
      resolve();
    }),
  );
});
afterAll(async () => {
  uWS.us_listen_socket_close(listen);
  await meteo.close();
});

interface TestAnswer {
  name: string;
  ok: boolean;
  output: string;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
  durationMs: number;
}
const answer = async (res: Response) => (await res.json()) as TestAnswer;

const post = (path: string, body: string, token = TOKEN) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    body,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });

describe('POST /api/tools/:name/test', () => {
  it('runs the tool and answers its result and timing', async () => {
    const res = await post('/api/tools/get_weather_from_coords/test', '{"latitude":48.85,"longitude":2.35}');
    expect(res.status).toBe(200);
    const body = await answer(res);
    expect(body).toMatchObject({
      name: 'get_weather_from_coords',
      ok: true,
      result: { temperature: 13.4, conditions: 'overcast' },
    });
    expect(typeof body.output).toBe('string');
    expect(body.durationMs).toBeGreaterThan(0);
  });

  it('answers a failing tool with its error, still 200', async () => {
    const res = await post('/api/tools/get_weather_from_coords/test', '{"latitude":"north"}');
    expect(res.status).toBe(200);
    const body = await answer(res);
    expect(body).toMatchObject({ ok: false, error: { code: 'tool_invalid_arguments' } });
    expect(body.error!.message).toMatch(/latitude/);
  });

  it('runs a disabled tool too', async () => {
    const body = await answer(await post('/api/tools/disabled_hook/test', '{}'));
    expect(body).toMatchObject({ ok: false, error: { code: 'tool_failed' } });
    expect(body.error!.message).toMatch(/answered 404/);
  });

  it('404s an unknown tool, 400s a body that is not an object, 401s without the token', async () => {
    expect((await post('/api/tools/nope/test', '{}')).status).toBe(404);
    expect((await post('/api/tools/%E0%A4%A/test', '{}')).status).toBe(404);
    expect((await post('/api/tools/get_weather_from_coords/test', '[1,2]')).status).toBe(400);
    expect((await post('/api/tools/get_weather_from_coords/test', '{"a":')).status).toBe(400);
    const denied = await post('/api/tools/get_weather_from_coords/test', '{}', 'wrong');
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });
});
