import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../core/log.ts';
import { type FakeOpenMeteo, startFakeOpenMeteo } from './fakes/open-meteo.ts';
import { testToolContext } from './fakes/tool-context.ts';
import { getWeatherFromCoords } from './get-weather-from-coords.ts';
import { LiveToolRegistry } from './registry.ts';

let meteo: FakeOpenMeteo;
let registry: LiveToolRegistry;
/** Only for the hang case: a tight timeout elsewhere turns a loaded machine's slow answer into a false failure. */
let tight: LiveToolRegistry;
beforeAll(async () => {
  meteo = await startFakeOpenMeteo({ delayMs: 1000, hugeBytes: 1024 * 1024 });
  const make = (timeoutMs: number) =>
    new LiveToolRegistry({
      builtins: [getWeatherFromCoords({ baseUrl: meteo.url, timeoutMs })],
      log: createLogger('silent'),
    });
  registry = make(5000);
  tight = make(200);
});
afterAll(() => meteo.close());
beforeEach(() => {
  meteo.mode = 'ok';
});

const run = (args: unknown) => registry.run('get_weather_from_coords', JSON.stringify(args), testToolContext());

describe('get_weather_from_coords', () => {
  it('asks Open-Meteo for the current block and reports temperature, wind and conditions', async () => {
    const result = await run({ latitude: 52.52, longitude: 13.41 });
    expect(result.ok).toBe(true);
    expect(JSON.parse(result.output)).toEqual({
      time: '2026-11-24T00:15',
      temperature: 13.4,
      temperatureUnit: '°C',
      feelsLike: 11.9,
      humidityPercent: 71,
      windSpeed: 14.8,
      windSpeedUnit: 'km/h',
      windDirectionDegrees: 240,
      conditions: 'overcast',
    });
    const req = meteo.requests.at(-1)!;
    expect(req.url.pathname).toBe('/v1/forecast');
    expect(req.url.searchParams.get('latitude')).toBe('52.52');
    expect(req.url.searchParams.get('longitude')).toBe('13.41');
    expect(req.url.searchParams.get('current')).toContain('weather_code');
  });

  it('names unknown WMO codes rather than failing', async () => {
    meteo.current = { ...meteo.current, weather_code: 42 };
    const result = await run({ latitude: 0, longitude: 0 });
    expect(JSON.parse(result.output).conditions).toBe('unknown (WMO code 42)');
    meteo.current = { ...meteo.current, weather_code: 3 };
  });

  it('refuses out-of-range coordinates before any request', async () => {
    const before = meteo.requests.length;
    const result = await run({ latitude: 123, longitude: 0 });
    expect(result).toMatchObject({ ok: false, errorCode: 'tool_invalid_arguments' });
    expect(JSON.parse(result.output).error).toMatch(/latitude/);
    expect(meteo.requests.length).toBe(before);
  });

  it.each([
    ['hang', 'tool_timeout', /did not (answer|finish) within 200 ms/],
    ['error500', 'tool_failed', /answered 500/],
    ['malformed', 'tool_failed', /malformed JSON/],
    ['huge', 'tool_failed', /exceeds 32768 bytes/],
  ] as const)('answers %s as %s', async (mode, code, message) => {
    meteo.mode = mode;
    const r = mode === 'hang' ? tight : registry;
    const result = await r.run('get_weather_from_coords', '{"latitude":52.52,"longitude":13.41}', testToolContext());
    expect(result.ok).toBe(false);
    expect(result.errorCode).toBe(code);
    expect(JSON.parse(result.output).error).toMatch(message);
    expect(result.durationMs).toBeLessThan(3000);
  });

  it('keeps a path in the base URL', async () => {
    const tool = getWeatherFromCoords({ baseUrl: `${meteo.url}/proxy/open-meteo` });
    const r = new LiveToolRegistry({ builtins: [tool], log: createLogger('silent') });
    const result = await r.run('get_weather_from_coords', '{"latitude":1,"longitude":2}', testToolContext());
    expect(meteo.requests.at(-1)!.url.pathname).toBe('/proxy/open-meteo/v1/forecast');
    expect(result).toMatchObject({ ok: false, errorCode: 'tool_failed' });
    expect(JSON.parse(result.output).error).toMatch(/answered 404/);
  });
});
