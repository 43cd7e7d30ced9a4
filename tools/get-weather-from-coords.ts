import { z } from 'zod';
import { ToolError } from '../core/errors.ts';
import { defineTool, type Tool } from './define-tool.ts';
import { httpCall, isJsonObject } from './http-call.ts';

const CURRENT_FIELDS =
  'temperature_2m,apparent_temperature,relative_humidity_2m,wind_speed_10m,wind_direction_10m,weather_code';

const currentSchema = z.object({
  time: z.string(),
  temperature_2m: z.number(),
  apparent_temperature: z.number().optional(),
  relative_humidity_2m: z.number().optional(),
  wind_speed_10m: z.number(),
  wind_direction_10m: z.number().optional(),
  weather_code: z.number().int(),
});

/** Open-Meteo's forecast answer, as much of it as the tool reads. */
const forecastSchema = z.object({
  current: currentSchema,
  current_units: z.record(z.string(), z.string()).optional(),
});

/**
 * Current weather from Open-Meteo (`GET /v1/forecast?latitude=…&longitude=…&current=…`), no key needed.
 * `baseUrl` is OPEN_METEO_URL so tests can aim it at the stand-in.
 */
export function getWeatherFromCoords(opts: { baseUrl: string; timeoutMs?: number }): Tool {
  const timeoutMs = opts.timeoutMs ?? 8000;
  return defineTool({
    name: 'get_weather_from_coords',
    description: 'Get the current weather (temperature, wind, conditions) at the given coordinates.',
    parameters: z.object({
      latitude: z.number().min(-90).max(90).describe('Latitude in decimal degrees'),
      longitude: z.number().min(-180).max(180).describe('Longitude in decimal degrees'),
    }),
    timeoutMs,
    async run({ latitude, longitude }, ctx) {
      // Relative to the base, so a base with a path (a proxy in front of Open-Meteo) keeps it.
      const url = new URL('v1/forecast', opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
      url.searchParams.set('latitude', String(latitude));
      url.searchParams.set('longitude', String(longitude));
      url.searchParams.set('current', CURRENT_FIELDS);
      url.searchParams.set('wind_speed_unit', 'kmh');
      const res = await httpCall({ url: url.href, signal: ctx.signal, timeoutMs, maxBytes: 32 * 1024, expect: 'json' });
      const parsed = forecastSchema.safeParse(res.body);
      if (!parsed.success) {
        const reason = isJsonObject(res.body) && typeof res.body.reason === 'string' ? `: ${res.body.reason}` : '';
        throw new ToolError('tool_failed', `unexpected answer from Open-Meteo${reason}`);
      }
      const c = parsed.data.current;
      const units = parsed.data.current_units ?? {};
      return {
        time: c.time,
        temperature: c.temperature_2m,
        temperatureUnit: units.temperature_2m ?? '°C',
        ...(c.apparent_temperature !== undefined ? { feelsLike: c.apparent_temperature } : {}),
        ...(c.relative_humidity_2m !== undefined ? { humidityPercent: c.relative_humidity_2m } : {}),
        windSpeed: c.wind_speed_10m,
        windSpeedUnit: units.wind_speed_10m ?? 'km/h',
        ...(c.wind_direction_10m !== undefined ? { windDirectionDegrees: c.wind_direction_10m } : {}),
        conditions: weatherCondition(c.weather_code),
      };
    },
  });
}

/** WMO weather interpretation codes (WW), as listed in Open-Meteo's API documentation. */
const WMO_CODES: Record<number, string> = {
  0: 'clear sky',
  1: 'mainly clear',
  2: 'partly cloudy',
  3: 'overcast',
  45: 'fog',
  48: 'depositing rime fog',
  51: 'light drizzle',
  53: 'moderate drizzle',
  55: 'dense drizzle',
  56: 'light freezing drizzle',
  57: 'dense freezing drizzle',
  61: 'slight rain',
  63: 'moderate rain',
  65: 'heavy rain',
  66: 'light freezing rain',
  67: 'heavy freezing rain',
  71: 'slight snowfall',
  73: 'moderate snowfall',
  75: 'heavy snowfall',
  77: 'snow grains',
  80: 'slight rain showers',
  81: 'moderate rain showers',
  82: 'violent rain showers',
  85: 'slight snow showers',
  86: 'heavy snow showers',
  95: 'thunderstorm',
  96: 'thunderstorm with slight hail',
  99: 'thunderstorm with heavy hail',
};

export function weatherCondition(code: number): string {
  return WMO_CODES[code] ?? `unknown (WMO code ${code})`;
}
