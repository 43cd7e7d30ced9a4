import { type FakeServer, type FakeServerOptions, startFakeServer } from './fake-server.ts';

export interface OpenMeteoCurrent {
  temperature_2m: number;
  apparent_temperature: number;
  relative_humidity_2m: number;
  wind_speed_10m: number;
  wind_direction_10m: number;
  weather_code: number;
}

const UNITS: Record<string, string> = {
  time: 'iso8601',
  interval: 'seconds',
  temperature_2m: '°C',
  apparent_temperature: '°C',
  relative_humidity_2m: '%',
  wind_speed_10m: 'km/h',
  wind_direction_10m: '°',
  weather_code: 'wmo code',
};

export const DEFAULT_CURRENT: OpenMeteoCurrent = {
  temperature_2m: 13.4,
  apparent_temperature: 11.9,
  relative_humidity_2m: 71,
  wind_speed_10m: 14.8,
  wind_direction_10m: 240,
  weather_code: 3,
};

export interface FakeOpenMeteo extends FakeServer {
  /** What `current` reports (the requested fields of it). */
  current: OpenMeteoCurrent;
}

/**
 * Open-Meteo's forecast API (`GET /v1/forecast`): the `current` and `current_units` blocks for the fields named in
 * `current=`, and its `{"error":true,"reason":…}` answer (400) for out-of-range coordinates.
 */
export async function startFakeOpenMeteo(opts: FakeServerOptions = {}): Promise<FakeOpenMeteo> {
  // The handler runs only after `fake` is assigned (no request can arrive before the server is returned).
  let fake: FakeOpenMeteo;
  const server = await startFakeServer(
    (req) => {
      if (req.url.pathname !== '/v1/forecast') return { status: 404, body: { error: true, reason: 'Not Found' } };
      const lat = Number(req.url.searchParams.get('latitude'));
      const lon = Number(req.url.searchParams.get('longitude'));
      if (!Number.isFinite(lat) || lat < -90 || lat > 90) {
        return {
          status: 400,
          body: { error: true, reason: `Latitude must be in range of -90 to 90°. Given: ${lat}.` },
        };
      }
      if (!Number.isFinite(lon) || lon < -180 || lon > 180) {
        return {
          status: 400,
          body: { error: true, reason: `Longitude must be in range of -180 to 180°. Given: ${lon}.` },
        };
      }
      const fields = (req.url.searchParams.get('current') ?? '').split(',').filter(Boolean);
      const current: Record<string, unknown> = { time: '2026-11-24T00:15', interval: 900 };
      const units: Record<string, string> = { time: UNITS.time!, interval: UNITS.interval! };
      for (const f of fields) {
        const v = (fake.current as unknown as Record<string, number>)[f];
        if (v === undefined)
          return {
            status: 400,
            body: { error: true, reason: `Cannot initialize WeatherVariable from invalid String value ${f}` },
          };
        current[f] = v;
        units[f] = UNITS[f] ?? '';
      }
      return {
        status: 200,
        body: {
          latitude: Math.round(lat * 1000) / 1000,
          longitude: Math.round(lon * 1000) / 1000,
          generationtime_ms: 0.035,
          utc_offset_seconds: 0,
          timezone: 'GMT',
          timezone_abbreviation: 'GMT',
          elevation: 38,
          ...(fields.length ? { current_units: units, current } : {}),
        },
      };
    },
    { errorBody: { error: true, reason: 'Internal Server Error' }, ...opts },
  );
  fake = Object.assign(server, { current: { ...DEFAULT_CURRENT } });
  return fake;
}
