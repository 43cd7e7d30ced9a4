import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ToolError } from '../core/errors.ts';
import { LocalBus } from '../core/bus/local-bus.ts';
import { createLogger } from '../core/log.ts';
import { defineTool } from './define-tool.ts';
import { testToolContext } from './fakes/tool-context.ts';
import { LiveToolRegistry, MAX_OUTPUT_CHARS } from './registry.ts';

const log = createLogger('silent');

const echo = defineTool({
  name: 'echo',
  description: 'Echoes its text',
  parameters: z.object({ text: z.string().max(20), times: z.number().int().min(1).default(1) }),
  timeoutMs: 500,
  run: async ({ text, times }) => ({ said: text.repeat(times), quote: 'he said "hi"' }),
});
const plain = defineTool({
  name: 'plain',
  description: 'Answers a string',
  parameters: z.object({}),
  timeoutMs: 500,
  run: async () => 'already "a" string',
});
const hangs = defineTool({
  name: 'hangs',
  description: 'Never finishes and ignores its signal',
  parameters: z.object({}),
  timeoutMs: 80,
  run: () => new Promise(() => {}),
});
const throws = defineTool({
  name: 'throws',
  description: 'Fails',
  parameters: z.object({ how: z.enum(['tool', 'bug']) }),
  timeoutMs: 500,
  run: async ({ how }) => {
    if (how === 'tool') throw new ToolError('tool_failed', 'the CRM is down');
    throw new TypeError('cannot read properties of undefined (secret internals)');
  },
});
const huge = defineTool({
  name: 'huge',
  description: 'Answers too much',
  parameters: z.object({}),
  timeoutMs: 500,
  run: async () => 'x'.repeat(MAX_OUTPUT_CHARS + 1),
});

const registry = new LiveToolRegistry({ builtins: [echo, plain, hangs, throws, huge], log });

describe('schemas', () => {
  it('gives the named tools in order, JSON Schema from zod, skipping unknown names', () => {
    const schemas = registry.schemas(['plain', 'nope', 'echo']);
    expect(schemas.map((s) => s.name)).toEqual(['plain', 'echo']);
    expect(schemas[1]).toEqual({
      type: 'function',
      name: 'echo',
      description: 'Echoes its text',
      parameters: {
        type: 'object',
        properties: {
          text: { type: 'string', maxLength: 20 },
          times: { type: 'integer', minimum: 1, default: 1, maximum: 9007199254740991 },
        },
        required: ['text'],
      },
    });
  });
});

describe('run', () => {
  it('JSON-encodes an object result exactly once', async () => {
    const result = await registry.run('echo', '{"text":"ab","times":2}', testToolContext());
    expect(result.ok).toBe(true);
    expect(result.output).toBe('{"said":"abab","quote":"he said \\"hi\\""}');
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('passes a string result as is', async () => {
    expect((await registry.run('plain', '', testToolContext())).output).toBe('already "a" string');
  });

  it('answers an unknown tool as data', async () => {
    const result = await registry.run('nope', '{}', testToolContext());
    expect(result).toMatchObject({ ok: false, errorCode: 'tool_unknown' });
    expect(JSON.parse(result.output)).toEqual({ error: 'unknown tool: nope', code: 'tool_unknown' });
  });

  it('answers arguments that are not JSON, or do not fit the schema', async () => {
    const notJson = await registry.run('echo', '{"text":', testToolContext());
    expect(notJson.errorCode).toBe('tool_invalid_arguments');
    const wrong = await registry.run('echo', '{"text":5}', testToolContext());
    expect(wrong.errorCode).toBe('tool_invalid_arguments');
    expect(JSON.parse(wrong.output).error).toMatch(/^invalid arguments: text: /);
  });

  it('ends a tool that hangs past its timeout, though it ignores its signal', async () => {
    const started = performance.now();
    const result = await registry.run('hangs', '{}', testToolContext());
    expect(result).toMatchObject({ ok: false, errorCode: 'tool_timeout' });
    expect(JSON.parse(result.output).error).toBe('hangs did not finish within 80 ms');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('stops a tool when the call ends', async () => {
    const ctx = testToolContext();
    setTimeout(() => ctx.hangUp(), 20);
    const result = await registry.run('hangs', '{}', ctx);
    expect(result.errorCode).toBe('tool_aborted');
  });

  it("gives a tool's own error, and hides a bug's message", async () => {
    const tool = await registry.run('throws', '{"how":"tool"}', testToolContext());
    expect(JSON.parse(tool.output)).toEqual({ error: 'the CRM is down', code: 'tool_failed' });
    const bug = await registry.run('throws', '{"how":"bug"}', testToolContext());
    expect(JSON.parse(bug.output)).toEqual({ error: 'throws failed', code: 'tool_failed' });
  });

  it('refuses an output too large for the model', async () => {
    const result = await registry.run('huge', '{}', testToolContext());
    expect(result.errorCode).toBe('tool_failed');
  });
});

describe('definitions', () => {
  const webhook = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    description: `webhook ${name}`,
    kind: 'webhook',
    url: 'http://127.0.0.1:9/hook',
    parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
    ...extra,
  });

  it('adds enabled rows, keeps disabled ones for tests only, and skips bad rows and built-in names', async () => {
    const rows: unknown[] = [
      webhook('crm'),
      webhook('off', { enabled: false }),
      webhook('echo'),
      { name: 'broken', kind: 'webhook', url: 'ftp://x' },
    ];
    const r = await LiveToolRegistry.create({ builtins: [echo], definitions: async () => rows, log });
    expect(r.list().map((t) => [t.name, t.source])).toEqual([
      ['echo', 'builtin'],
      ['crm', 'webhook'],
    ]);
    expect(r.schemas(['crm', 'off'])).toEqual([
      {
        type: 'function',
        name: 'crm',
        description: 'webhook crm',
        parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
      },
    ]);
    expect((await r.run('off', '{"q":"x"}', testToolContext())).errorCode).toBe('tool_unknown');
    // The test endpoint runs disabled tools too (here it reaches a closed port: a failure, not "unknown").
    expect((await r.test('off', { q: 'x' }, testToolContext())).errorCode).toBe('tool_failed');
    expect((await r.test('off', { q: 1 }, testToolContext())).errorCode).toBe('tool_invalid_arguments');
  });

  it('reloads on a bus message and tells sessions after the new set is in place', async () => {
    let rows: unknown[] = [];
    const bus = new LocalBus(log);
    const r = await LiveToolRegistry.create({ builtins: [], definitions: async () => rows, log });
    const stop = r.follow(bus);
    const changed = new Promise<number>((resolve) => r.onChange(resolve));
    const v0 = r.version;
    rows = [webhook('crm')];
    await bus.publish('tools', { name: 'crm', op: 'upsert' });
    expect(await changed).toBe(v0 + 1);
    expect(r.schemas(['crm'])).toHaveLength(1);
    stop();
  });

  it('collapses a burst of reloads and keeps the old set when a read fails', async () => {
    let reads = 0;
    let fail = false;
    const r = new LiveToolRegistry({
      builtins: [],
      definitions: async () => {
        reads++;
        await new Promise((res) => setTimeout(res, 10));
        if (fail) throw new Error('db down');
        return [webhook('crm')];
      },
      log,
    });
    const first = r.reload();
    await new Promise((res) => setTimeout(res, 1)); // the first read is under way
    await Promise.all([first, r.reload(), r.reload(), r.reload()]);
    expect(reads).toBe(2); // the first, then one more for everything asked meanwhile
    fail = true;
    await expect(r.reload()).rejects.toThrow('db down');
    expect(r.has('crm')).toBe(true);
  });
});
