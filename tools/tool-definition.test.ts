import { describe, expect, it } from 'vitest';
import { webhookToolDefinitionSchema } from './tool-definition.ts';

const base = {
  name: 'crm_lookup',
  description: 'Find a contact',
  kind: 'webhook',
  url: 'https://crm.example.com/hook',
  parameters: { type: 'object', properties: { q: { type: 'string' } } },
};

function issues(input: unknown): string[] {
  const r = webhookToolDefinitionSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('webhook tool definitions', () => {
  it('fills defaults', () => {
    expect(webhookToolDefinitionSchema.parse(base)).toMatchObject({
      method: 'POST',
      headers: {},
      timeoutMs: 5000,
      enabled: true,
    });
  });

  it('takes only http(s) URLs', () => {
    for (const url of ['file:///etc/passwd', 'ftp://x.example.com/', 'javascript:alert(1)', 'gopher://a']) {
      expect(issues({ ...base, url })).toEqual(['url: must be an http(s) URL']);
    }
    expect(issues({ ...base, url: 'http://localhost:5678/webhook/x' })).toEqual([]);
  });

  it('keeps secrets out of the row: secret-looking headers must name a TOOL_ variable', () => {
    expect(issues({ ...base, headers: { Authorization: 'Bearer sk-live-123' } })).toEqual([
      'headers.Authorization: this header holds a secret: give { "env": "TOOL_…" } instead of its value',
    ]);
    expect(issues({ ...base, headers: { 'X-Api-Key': { env: 'DATABASE_URL' } } })[0]).toMatch(/TOOL_/);
    expect(issues({ ...base, headers: { Authorization: { env: 'TOOL_CRM_TOKEN' }, 'X-Tenant': 'acme' } })).toEqual([]);
  });

  it('refuses headers the gateway sets and values that break the request', () => {
    expect(issues({ ...base, headers: { Host: 'evil.example.com' } }).length).toBeGreaterThan(0);
    expect(issues({ ...base, headers: { 'X-A': 'a\r\nX-B: b' } }).length).toBeGreaterThan(0);
  });

  it('needs an object JSON Schema the validator understands', () => {
    expect(issues({ ...base, parameters: { type: 'string' } })[0]).toMatch(/"type": "object"/);
    expect(issues({ ...base, parameters: { type: 'object', if: { required: ['a'] } } })[0]).toMatch(
      /unsupported JSON Schema/,
    );
  });

  it('checks the name against the model API rule', () => {
    expect(issues({ ...base, name: 'has space' })[0]).toMatch(/^name:/);
    expect(issues({ ...base, name: 'x'.repeat(65) })[0]).toMatch(/^name:/);
  });
});
