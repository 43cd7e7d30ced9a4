import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_SERVER_URL, type TestDatabase } from '../db/test-database.ts';
import { createLogger } from '../log.ts';
import { LocalBus } from './local-bus.ts';
import { PgBus, RESYNC_PAYLOAD } from './pg-bus.ts';
import { SessionEventPublisher } from './session-event-publisher.ts';

const log = createLogger('silent');

function next(bus: { subscribe: PgBus['subscribe'] }, channel: 'config' | 'tools' | 'session', match: (p: Record<string, unknown>) => boolean = () => true) {
  return new Promise<Record<string, unknown>>((resolve) => {
    const off = bus.subscribe(channel, (p) => {
      if (!match(p)) return;
      off();
      resolve(p);
    });
  });
}

describe('in-process bus', () => {
  it('delivers asynchronously, a copy per handler, and survives a throwing handler', async () => {
    const bus = new LocalBus(log);
    const got: unknown[] = [];
    bus.subscribe('config', () => {
      throw new Error('bad handler');
    });
    bus.subscribe('config', (p) => got.push(p));
    const payload = { version: 3, nested: { a: 1 } };
    await bus.publish('config', payload);
    expect(got).toEqual([]); // not inside publish
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([payload]);
    expect(got[0]).not.toBe(payload);
    await bus.close();
  });

  it('refuses a payload NOTIFY could not carry, as the server bus would', async () => {
    const bus = new LocalBus(log);
    await expect(bus.publish('session', { text: 'x'.repeat(8000) })).rejects.toMatchObject({ code: 'bus_payload_too_large' });
    await bus.close();
  });
});

describe('live session event feed', () => {
  it('gathers events into few messages, each under the NOTIFY limit, long text cut', async () => {
    const bus = new LocalBus(log);
    const messages: Array<{ events: Array<Record<string, unknown>> }> = [];
    const sizes: number[] = [];
    bus.subscribe('session', (p) => {
      messages.push(p as never);
      sizes.push(Buffer.byteLength(JSON.stringify(p)));
    });
    const feed = new SessionEventPublisher(bus, log, { gatherMs: 20 });
    for (let i = 0; i < 300; i++) {
      feed.record({ type: 'transcript', sessionId: `s${i % 7}`, role: 'user', itemId: `i${i}`, text: i === 5 ? 'y'.repeat(5000) : `line ${i}`, at: i });
    }
    await new Promise((r) => setTimeout(r, 60));
    const events = messages.flatMap((m) => m.events);
    expect(events).toHaveLength(300);
    expect(events.map((e) => e.at)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(messages.length).toBeLessThan(20);
    expect(Math.max(...sizes)).toBeLessThan(8000);
    expect((events[5]!.text as string).length).toBeLessThanOrEqual(2001);
    expect(feed.dropped).toBe(0);
    await bus.close();
  });
});

describe('LISTEN/NOTIFY bus', () => {
  let tdb: TestDatabase;
  let sqlA: postgres.Sql;
  let sqlB: postgres.Sql;
  let a: PgBus;
  let b: PgBus;

  beforeAll(async () => {
    tdb = await createTestDatabase('postgres');
    sqlA = postgres(tdb.url!, { max: 2, onnotice: () => {} });
    sqlB = postgres(tdb.url!, { max: 2, onnotice: () => {} });
    a = new PgBus(sqlA, log);
    b = new PgBus(sqlB, log);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await sqlA?.end();
    await sqlB?.end();
    await tdb?.drop();
  });

  it('carries a message from one client to every subscriber, the publisher included', async () => {
    const onB = next(b, 'config');
    const onA = next(a, 'config');
    await Promise.all([a.listening('config'), b.listening('config')]);
    await a.publish('config', { version: 7 });
    expect(await onB).toEqual({ version: 7 });
    expect(await onA).toEqual({ version: 7 });
  });

  it('keeps channels apart', async () => {
    const got: unknown[] = [];
    b.subscribe('tools', (p) => got.push(p));
    await b.listening('tools');
    const onConfig = next(b, 'config', (p) => p.version === 8);
    await a.publish('config', { version: 8 });
    await onConfig;
    expect(got).toEqual([]);
  });

  it('refuses a payload over the NOTIFY limit', async () => {
    await expect(a.publish('session', { text: 'x'.repeat(8000) })).rejects.toMatchObject({ code: 'bus_payload_too_large' });
  });

  it('tells subscribers to resync when its listener reconnects, and delivers again after', async () => {
    await b.listening('config');
    const resync = next(b, 'config', (p) => p.resync === true);
    const admin = postgres(TEST_SERVER_URL, { max: 1, onnotice: () => {} });
    try {
      // Kill every backend of the test database (the LISTEN connections among them); postgres.js reconnects.
      await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${tdb.name!} and pid <> pg_backend_pid()`;
    } finally {
      await admin.end();
    }
    expect(await resync).toEqual({ ...RESYNC_PAYLOAD });
    const after = next(b, 'config', (p) => p.version === 9);
    await a.publish('config', { version: 9 });
    expect(await after).toEqual({ version: 9 });
  });
});
