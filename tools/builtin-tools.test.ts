import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LocalBus } from '../core/bus/local-bus.ts';
import { makeConfig } from '../core/config.ts';
import { createLogger } from '../core/log.ts';
import { BUILTIN_TOOL_NAMES, builtinTools } from './builtin-tools.ts';
import { createToolRegistry } from './create-tool-registry.ts';
import { webhookToolDefinitionSchema } from './tool-definition.ts';

describe('builtinTools', () => {
  it('offers only the tools whose services are configured', () => {
    expect(builtinTools(makeConfig()).map((t) => t.name)).toEqual(['get_weather_from_coords']);
    const all = makeConfig({
      N8N_CUSTOMER_LOOKUP_URL: 'https://n8n.example.com/webhook/customer',
      N8N_KNOWLEDGE_BASE_URL: 'https://n8n.example.com/webhook/kb',
      TWILIO_ACCOUNT_SID: 'AC123',
      TWILIO_AUTH_TOKEN: 'token',
    });
    expect(builtinTools(all).map((t) => t.name)).toEqual(BUILTIN_TOOL_NAMES);
  });

  it('gives every built-in a model schema of type object', () => {
    const all = makeConfig({
      N8N_CUSTOMER_LOOKUP_URL: 'https://n8n.example.com/a',
      N8N_KNOWLEDGE_BASE_URL: 'https://n8n.example.com/b',
      TWILIO_ACCOUNT_SID: 'AC123',
      TWILIO_AUTH_TOKEN: 'token',
    });
    for (const tool of builtinTools(all)) {
      expect(tool.schema.parameters.type).toBe('object');
      expect(tool.schema.parameters.$schema).toBeUndefined();
      expect(tool.schema.description.length).toBeGreaterThan(10);
    }
  });
});

describe('createToolRegistry', () => {
  it('loads definitions, follows the bus, and never logs a secret header value', async () => {
    const lines: string[] = [];
    const log = createLogger(
      'debug',
      new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    const bus = new LocalBus(log);
    let reloads = 0;
    const rows = [
      webhookToolDefinitionSchema.parse({
        name: 'crm',
        description: 'CRM',
        kind: 'webhook',
        url: 'http://127.0.0.1:9/crm',
        headers: { authorization: { env: 'TOOL_CRM_TOKEN' } },
        timeoutMs: 200,
      }),
    ];
    process.env.TOOL_CRM_TOKEN = 'Bearer sk-very-secret';
    try {
      const { registry, close } = await createToolRegistry(makeConfig(), { log, definitions: async () => rows, bus });
      expect(registry.list().map((t) => t.name)).toEqual(['get_weather_from_coords', 'crm']);
      registry.onChange(() => reloads++);
      await bus.publish('tools', { op: 'create', name: 'crm' });
      await new Promise((r) => setTimeout(r, 20));
      expect(reloads).toBe(1);
      const result = await registry.run('crm', '{}', {
        sessionId: 's1',
        kind: 'phone',
        signal: new AbortController().signal,
        log,
        playbackDone: async () => {},
      });
      expect(result.ok).toBe(false); // nothing listens on port 9
      expect(lines.some((l) => l.includes('"tool call"') || l.includes('tool call'))).toBe(true);
      expect(lines.join('')).not.toContain('sk-very-secret');
      expect(result.output).not.toContain('sk-very-secret');
      close();
      await bus.publish('tools', { op: 'create', name: 'crm' });
      await new Promise((r) => setTimeout(r, 20));
      expect(reloads).toBe(1);
    } finally {
      delete process.env.TOOL_CRM_TOKEN;
    }
  });
});
