import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../agent-config.ts';
import type { PgBus } from '../bus/pg-bus.ts';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../db/test-database.ts';
import { createLogger } from '../log.ts';
import { openStorage, type Storage } from './storage.ts';

const log = createLogger('silent');

function nextChange(storage: Storage): Promise<{ config: AgentConfig; version: number; at: number }> {
  return new Promise((resolve) => {
    const off = storage.liveConfig.subscribe((config, version) => {
      off();
      resolve({ config, version, at: performance.now() });
    });
  });
}

describe.each(BACKENDS)('storage on %s', (backend) => {
  let tdb: TestDatabase;
  let storage: Storage;

  beforeAll(async () => {
    tdb = await createTestDatabase(backend, { OPENAI_MODEL: 'gpt-realtime-mini' });
    storage = await openStorage(tdb.config, log);
  });
  afterAll(async () => {
    await storage?.close();
    await tdb?.drop();
  });

  it('starts an empty database from the default config (model from the environment)', async () => {
    const active = await storage.configs.active();
    expect(active.version).toBe(1);
    expect(active.config.model).toBe('gpt-realtime-mini');
    expect(storage.liveConfig.current()).toEqual(active.config);
    expect(await storage.ready()).toBe(true);
  });

  // One embedded directory has one owner; one server database has any number of instances.
  const ownership =
    backend === 'pglite'
      ? 'refuses to open an embedded data directory another owner holds'
      : 'lets a second instance open the same server database';
  it(ownership, async () => {
    if (backend === 'pglite') {
      await expect(openStorage(tdb.config, log)).rejects.toMatchObject({ code: 'database_locked' });
    } else {
      const second = await openStorage(tdb.config, log);
      expect(await second.ready()).toBe(true);
      await second.close();
    }
    expect(await storage.ready()).toBe(true);
  });

  it('saves a patch as a new active version, keeps history, and tells live configs', async () => {
    const changed = nextChange(storage);
    const { stored, changed: didChange } = await storage.configs.save({ voice: 'cedar', greeting: 'Say hello' });
    expect(didChange).toBe(true);
    expect(stored).toMatchObject({ version: 2, active: true, config: { voice: 'cedar', greeting: 'Say hello' } });
    const seen = await changed;
    expect(seen.version).toBe(2);
    expect(seen.config.voice).toBe('cedar');
    expect(storage.liveConfig.current().voice).toBe('cedar');

    const history = await storage.configs.history();
    expect(history.map((h) => [h.version, h.active])).toEqual([
      [2, true],
      [1, false],
    ]);
  });

  it('makes no version for a save that changes nothing', async () => {
    const before = await storage.configs.active();
    const { changed, stored } = await storage.configs.save({ voice: before.config.voice });
    expect(changed).toBe(false);
    expect(stored.version).toBe(before.version);
  });

  it('refuses a save based on a version that is no longer active', async () => {
    await expect(storage.configs.save({ voice: 'ash' }, 1)).rejects.toMatchObject({ code: 'conflict' });
    expect((await storage.configs.active()).config.voice).toBe('cedar');
  });

  it('serialises concurrent saves: every one becomes a version, exactly one active', async () => {
    const voices = ['alloy', 'ash', 'ballad', 'coral', 'echo'];
    await Promise.all(voices.map((voice) => storage.configs.save({ voice })));
    const history = await storage.configs.history(100);
    expect(history.filter((h) => h.active)).toHaveLength(1);
    expect(new Set(history.slice(0, 5).map((h) => h.config.voice))).toEqual(new Set(voices));
  });

  it('restores an old version as a new one', async () => {
    const { stored } = await storage.configs.restore(2);
    expect(stored.config.voice).toBe('cedar');
    expect(stored.version).toBeGreaterThan(2);
  });

  it('stores tool definitions and announces each change on the bus', async () => {
    const seen: Record<string, unknown>[] = [];
    const off = storage.bus.subscribe('tools', (p) => seen.push(p));
    const def = {
      name: 'crm_lookup',
      description: 'Look a customer up',
      kind: 'webhook' as const,
      url: 'http://127.0.0.1:9/crm',
      method: 'POST' as const,
      parameters: { type: 'object', properties: { phone: { type: 'string' } } },
      headers: { Authorization: { env: 'TOOL_CRM_TOKEN' }, 'X-Tenant': 'acme' },
      timeoutMs: 3000,
      enabled: true,
    };
    const created = await storage.toolDefinitions.create(def);
    expect(created).toMatchObject(def);
    await expect(storage.toolDefinitions.create(def)).rejects.toMatchObject({ code: 'conflict' });
    const renamed = await storage.toolDefinitions.replace('crm_lookup', { ...def, name: 'crm', enabled: false });
    expect(renamed).toMatchObject({ name: 'crm', enabled: false });
    expect(await storage.toolDefinitions.get('crm_lookup')).toBeUndefined();
    expect(await storage.toolDefinitions.definitions()).toHaveLength(1);
    await expect(storage.toolDefinitions.replace('nope', def)).rejects.toMatchObject({ code: 'not_found' });
    expect(await storage.toolDefinitions.delete('crm')).toBe(true);
    expect(await storage.toolDefinitions.delete('crm')).toBe(false);
    await new Promise((r) => setTimeout(r, 100));
    off();
    expect(seen.map((p) => p.op)).toEqual(['create', 'update', 'delete']);
  });

  it('lists sessions newest first, by kind and date, page by page, and shows one with its logs', async () => {
    const base = Date.parse('2026-01-01T00:00:00Z');
    for (let i = 0; i < 7; i++) {
      const id = `list-${i}`;
      const kind = i % 2 ? 'browser' : 'phone';
      storage.sink.record({
        type: 'session.started',
        sessionId: id,
        kind,
        configName: 'default',
        config: {},
        at: base + i * 60_000,
      });
      storage.sink.record({
        type: 'transcript',
        sessionId: id,
        role: 'user',
        itemId: 'a',
        text: `hello ${i}`,
        at: base + i * 60_000 + 1000,
      });
      storage.sink.record({
        type: 'transcript',
        sessionId: id,
        role: 'assistant',
        itemId: 'b',
        text: 'hi',
        truncated: true,
        at: base + i * 60_000 + 2000,
      });
      storage.sink.record({ type: 'event', sessionId: id, name: 'barge_in', at: base + i * 60_000 + 2500 });
      storage.sink.record({
        type: 'session.ended',
        sessionId: id,
        reason: 'hangup',
        metrics: {},
        usage: {},
        at: base + i * 60_000 + 3000,
      });
    }
    await storage.logWriter.flush();
    const since = new Date(base);
    const until = new Date(base + 3600_000);
    const first = await storage.sessions.list({ limit: 3, since, until });
    expect(first.sessions.map((s) => s.id)).toEqual(['list-6', 'list-5', 'list-4']);
    const second = await storage.sessions.list({ limit: 3, since, until, cursor: first.nextCursor! });
    expect(second.sessions.map((s) => s.id)).toEqual(['list-3', 'list-2', 'list-1']);
    const third = await storage.sessions.list({ limit: 3, since, until, cursor: second.nextCursor! });
    expect(third.sessions.map((s) => s.id)).toEqual(['list-0']);
    expect(third.nextCursor).toBeNull();

    const browsers = await storage.sessions.list({ limit: 10, kind: 'browser', since, until });
    expect(browsers.sessions.map((s) => s.id)).toEqual(['list-5', 'list-3', 'list-1']);
    const window = await storage.sessions.list({
      limit: 10,
      since: new Date(base + 120_000),
      until: new Date(base + 240_000),
    });
    expect(window.sessions.map((s) => s.id)).toEqual(['list-3', 'list-2']);

    const detail = await storage.sessions.get('list-4');
    expect(detail).toMatchObject({ id: 'list-4', kind: 'phone', endReason: 'hangup', durationMs: 3000 });
    expect(detail?.transcript).toEqual([
      expect.objectContaining({ role: 'user', text: 'hello 4', truncated: false }),
      expect.objectContaining({ role: 'assistant', text: 'hi', truncated: true }),
    ]);
    expect(detail?.logs.map((l) => l.kind)).toEqual(['transcript', 'transcript', 'event']);
    expect(await storage.sessions.get('missing')).toBeUndefined();
    await expect(storage.sessions.list({ limit: 1, cursor: 'garbage' })).rejects.toMatchObject({
      code: 'invalid_cursor',
    });
  });
});

describe('two instances on one server database', () => {
  let tdb: TestDatabase;
  let a: Storage;
  let b: Storage;

  beforeAll(async () => {
    tdb = await createTestDatabase('postgres');
    [a, b] = await Promise.all([openStorage(tdb.config, log), openStorage(tdb.config, log)]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await tdb?.drop();
  });

  it('a config saved through one reaches the other within a second', async () => {
    const onB = nextChange(b);
    const t0 = performance.now();
    await a.configs.save({ instructions: 'Speak like a pirate.' });
    const seen = await onB;
    expect(seen.config.instructions).toBe('Speak like a pirate.');
    expect(seen.at - t0).toBeLessThan(1000);
    // A hears its own save the same way, by the server's echo.
    while (a.liveConfig.version() !== seen.version) await new Promise((r) => setTimeout(r, 10));
    expect(a.liveConfig.current()).toEqual(b.liveConfig.current());
  });

  it('live session events published by one reach the other', async () => {
    const got = new Promise<Record<string, unknown>>((resolve) => {
      const off = b.bus.subscribe('session', (p) => {
        const event = (p.events as Record<string, unknown>[] | undefined)?.find((e) => e.sessionId === 'bus-1');
        if (event) {
          off();
          resolve(event);
        }
      });
    });
    await (b.bus as PgBus).listening('session');
    a.sink.record({
      type: 'transcript',
      sessionId: 'bus-1',
      role: 'user',
      itemId: 'i',
      text: 'x'.repeat(10_000),
      at: Date.now(),
    });
    const p = await got;
    expect(p.type).toBe('transcript');
    expect((p.text as string).length).toBeLessThan(2100);
  });
});
