import type { Config } from '../core/config.ts';
import type { Tool } from './define-tool.ts';
import { endCall } from './end-call.ts';
import { getWeatherFromCoords } from './get-weather-from-coords.ts';
import { knowledgeBase } from './knowledge-base.ts';
import { lookupCustomer } from './lookup-customer.ts';
import { transferCall } from './transfer-call.ts';
import type { TwilioRestTarget } from './twilio-calls.ts';

/** Names an admin-defined tool may not take. */
export const BUILTIN_TOOL_NAMES = [
  'get_weather_from_coords',
  'lookup_customer',
  'knowledge_base',
  'end_call',
  'transfer_call',
];

/**
 * The built-in tools this configuration can run. A tool whose service is not configured (no n8n URL, no Twilio
 * credentials) is left out rather than offered to the model only to fail on every call.
 */
export function builtinTools(config: Config): Tool[] {
  const tools: Tool[] = [getWeatherFromCoords({ baseUrl: config.OPEN_METEO_URL })];
  const secret = config.N8N_WEBHOOK_SECRET;
  if (config.N8N_CUSTOMER_LOOKUP_URL)
    tools.push(lookupCustomer({ url: config.N8N_CUSTOMER_LOOKUP_URL, secret, timeoutMs: 8000 }));
  if (config.N8N_KNOWLEDGE_BASE_URL)
    tools.push(knowledgeBase({ url: config.N8N_KNOWLEDGE_BASE_URL, secret, timeoutMs: 15_000 }));
  if (config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN) {
    const twilio: TwilioRestTarget = {
      baseUrl: config.TWILIO_API_URL,
      accountSid: config.TWILIO_ACCOUNT_SID,
      authToken: config.TWILIO_AUTH_TOKEN,
      timeoutMs: 5000,
    };
    tools.push(endCall(twilio), transferCall(twilio));
  }
  return tools;
}
