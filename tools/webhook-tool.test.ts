import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../core/log.ts';
import { type FakeN8n, startFakeN8n } from './fakes/n8n.ts';
import { testToolContext } from './fakes/tool-context.ts';
import { LiveToolRegistry } from './registry.ts';
import { FAILURE_MODES } from './fakes/fake-server.ts';

let hook: FakeN8n;
beforeAll(async () => {
  hook = await startFakeN8n({ hugeBytes: 1024 * 1024 });
});
afterAll(() => hook.close());
beforeEach(() => {
  hook.mode = 'ok';
  hook.respond = (req) => ({
    status: 200,
    body: { received: req.body ? JSON.parse(req.body) : null, order: 'shipped' },
  });
});

const env = { TOOL_CRM_KEY: 'sk-crm-123' };

function definition(extra: Record<string, unknown> = {}) {
  return {
    name: 'order_status',
    description: 'Status of an order',
    kind: 'webhook',
    url: `${hook.url}/orders/status`,
    method: 'POST',
    parameters: {
      type: 'object',
      properties: { order_id: { type: 'string', pattern: '^[0-9]{4,8}$' }, verbose: { type: 'boolean' } },
      required: ['order_id'],
      additionalProperties: false,
    },
    headers: { 'x-api-key': { env: 'TOOL_CRM_KEY' }, 'x-tenant': 'acme' },
    timeoutMs: 5000,
    enabled: true,
    ...extra,
  };
}

async function registryWith(def: Record<string, unknown>, secrets: Record<string, string> = env) {
  return LiveToolRegistry.create({
    builtins: [],
    definitions: async () => [def],
    env: secrets,
    log: createLogger('silent'),
  });
}

describe('webhook tools', () => {
  it("offers the admin's JSON Schema as written and posts validated arguments with the secret header", async () => {
    const r = await registryWith(definition());
    expect(r.schemas(['order_status'])[0]!.parameters).toEqual(definition().parameters);
    const result = await r.run('order_status', '{"order_id":"5521"}', testToolContext());
    expect(result.ok).toBe(true);
    expect(JSON.parse(result.output)).toEqual({ received: { order_id: '5521' }, order: 'shipped' });
    const req = hook.requests.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.url.pathname).toBe('/orders/status');
    expect(req.headers['x-api-key']).toBe('sk-crm-123');
    expect(req.headers['x-tenant']).toBe('acme');
    expect(req.headers['x-voxbridge-session-id']).toBe('sess-test');
    expect(req.headers['content-type']).toBe('application/json');
  });

  it('validates arguments against the schema before any request', async () => {
    const r = await registryWith(definition());
    const before = hook.requests.length;
    for (const args of ['{"order_id":"12"}', '{}', '{"order_id":"5521","extra":1}', '{"order_id":5521}']) {
      const result = await r.run('order_status', args, testToolContext());
      expect(result.errorCode).toBe('tool_invalid_arguments');
    }
    expect(hook.requests.length).toBe(before);
  });

  it('sends GET arguments as the query string', async () => {
    const r = await registryWith(definition({ method: 'GET' }));
    hook.respond = () => ({ status: 200, body: 'order 5521 shipped yesterday' });
    const result = await r.run('order_status', '{"order_id":"5521","verbose":true}', testToolContext());
    expect(result.output).toBe('order 5521 shipped yesterday');
    const req = hook.requests.at(-1)!;
    expect(req.method).toBe('GET');
    expect(Object.fromEntries(req.url.searchParams)).toEqual({ order_id: '5521', verbose: 'true' });
    expect(req.body).toBe('');
  });

  it('fails without a request when the secret variable is not set', async () => {
    const r = await registryWith(definition(), {});
    const before = hook.requests.length;
    const result = await r.run('order_status', '{"order_id":"5521"}', testToolContext());
    expect(result.errorCode).toBe('tool_failed');
    expect(JSON.parse(result.output).error).toBe('header x-api-key needs TOOL_CRM_KEY, which is not set');
    expect(hook.requests.length).toBe(before);
  });

  it.each(FAILURE_MODES)('answers %s as %s', async (mode, code) => {
    // Only the hang case gets a tight timeout: elsewhere it would turn a loaded machine's slow answer into a timeout.
    const r = await registryWith(definition(mode === 'hang' ? { timeoutMs: 200 } : {}));
    hook.mode = mode;
    const result = await r.run('order_status', '{"order_id":"5521"}', testToolContext());
    expect(result).toMatchObject({ ok: false, errorCode: code });
    expect(result.output).not.toContain('sk-crm-123');
  });
});
