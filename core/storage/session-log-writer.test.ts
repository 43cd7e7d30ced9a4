import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { BACKENDS, createTestDatabase, TEST_SERVER_URL, type TestDatabase } from '../db/test-database.ts';
import { createLogger } from '../log.ts';
import { waitFor } from '../wait-for.ts';
import type { SessionEvent } from '../session-events.ts';
import { SessionLogWriter } from './session-log-writer.ts';

const log = createLogger('silent');

function started(sessionId: string, at = Date.now()): SessionEvent {
  return {
    type: 'session.started',
    sessionId,
    kind: 'phone',
    callSid: `CA${sessionId}`,
    from: '+15550001111',
    to: '+15550002222',
    configName: 'default',
    config: { voice: 'marin' },
    at,
  };
}

function transcript(sessionId: string, i: number): SessionEvent {
  return { type: 'transcript', sessionId, role: i % 2 ? 'assistant' : 'user', itemId: `item${i}`, text: `line ${i}`, at: Date.now() };
}

function ended(sessionId: string): SessionEvent {
  return { type: 'session.ended', sessionId, reason: 'caller_hangup', metrics: { turns: 3 }, usage: { tokens: 10 }, at: Date.now() };
}

describe.each(BACKENDS)('session log writer on %s', (backend) => {
  let tdb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    tdb = await createTestDatabase(backend);
    db = await openDatabase(tdb.config, log);
    await migrate(db.sql, log);
  });
  afterAll(async () => {
    await db?.close();
    await tdb?.drop();
  });

  const count = async (sessionId: string) =>
    (await db.sql<{ n: number }[]>`select count(*)::int as n from session_logs where session_id = ${sessionId}`)[0]!.n;

  it('stores a session, its rows in order, and its end — flushed when the session ends', async () => {
    // A flush interval far beyond the test: only the session end can have written these.
    const w = new SessionLogWriter(db.sql, log, { flushIntervalMs: 60_000, instanceId: 'test-a' });
    w.record(started('s-order'));
    for (let i = 0; i < 7; i++) w.record(transcript('s-order', i));
    w.record({ type: 'tool_call', sessionId: 's-order', callId: 'c1', name: 'get_weather', arguments: '{"city":"Oslo"}', output: '{"t":3}', ok: true, durationMs: 12, at: Date.now() });
    w.record({ type: 'error', sessionId: 's-order', code: 'model_closed', message: 'it closed', at: Date.now() });
    w.record(ended('s-order'));
    await waitFor(async () => (await count('s-order')) === 9, 'nine rows', 5000, 20);
    const rows = await db.sql`select seq, kind, payload from session_logs where session_id = 's-order' order by seq`;
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rows[0]).toMatchObject({ kind: 'transcript', payload: { role: 'user', text: 'line 0', itemId: 'item0' } });
    expect(rows[7]).toMatchObject({ kind: 'tool_call', payload: { name: 'get_weather', ok: true } });
    expect(rows[8]).toMatchObject({ kind: 'error', payload: { code: 'model_closed' } });
    await waitFor(
      async () => {
        const [s] = await db.sql`select end_reason from sessions where id = 's-order'`;
        return s?.end_reason === 'caller_hangup';
      },
      'the session row to end',
      5000,
      20,
    );
    const [s] = await db.sql`select * from sessions where id = 's-order'`;
    expect(s).toMatchObject({ kind: 'phone', call_sid: 'CAs-order', instance_id: 'test-a', metrics: { turns: 3 }, usage: { tokens: 10 } });
    await w.close();
  });

  it('writes full batches at once and partial ones on the timer', async () => {
    const w = new SessionLogWriter(db.sql, log, { maxBatch: 10, flushIntervalMs: 300 });
    w.record(started('s-batch'));
    for (let i = 0; i < 25; i++) w.record(transcript('s-batch', i));
    await waitFor(async () => (await count('s-batch')) >= 20, 'a full batch by size', 250, 20);
    expect(await count('s-batch')).toBe(20);
    await waitFor(async () => (await count('s-batch')) === 25, 'the rest by time', 2000, 20);
    expect(w.stats()).toMatchObject({ writtenRows: 25, bufferedRows: 0, droppedRows: 0 });
    await w.close();
  });

  it('keeps text exactly (quotes, braces, backslashes, unicode, NUL-free control chars)', async () => {
    const w = new SessionLogWriter(db.sql, log);
    const text = 'he said "hi", {a,b} \\ back\\slash, NULL, é, 🙂, tab\there\nnewline';
    w.record(started('s-text'));
    w.record({ type: 'transcript', sessionId: 's-text', role: 'user', itemId: 'x', text, at: Date.now() });
    await w.flush();
    const [r] = await db.sql`select payload from session_logs where session_id = 's-text'`;
    expect(r?.payload.text).toBe(text);
    await w.close();
  });

  it('strips NUL (which Postgres refuses) and isolates a row the database will not take', async () => {
    const w = new SessionLogWriter(db.sql, log);
    w.record(started('s-poison'));
    w.record({ type: 'transcript', sessionId: 's-poison', role: 'user', itemId: 'x', text: 'nul\u0000here', at: Date.now() });
    // A time no timestamp can hold: refused by the database with a data error on every attempt.
    w.record({ type: 'event', sessionId: 's-poison', name: 'bad', at: 1e20 });
    for (let i = 0; i < 5; i++) w.record(transcript('s-poison', i));
    w.record(ended('s-poison'));
    await w.flush();
    const rows = await db.sql`select kind, payload from session_logs where session_id = 's-poison' order by seq`;
    expect(rows).toHaveLength(6);
    expect(rows[0]?.payload.text).toBe('nulhere');
    expect(w.stats()).toMatchObject({ droppedRows: 1, writtenRows: 6, bufferedRows: 0 });
    const [s] = await db.sql`select end_reason from sessions where id = 's-poison'`;
    expect(s?.end_reason).toBe('caller_hangup');
    await w.close();
  });

  it('never throws from record: an unserialisable payload is dropped and counted', async () => {
    const w = new SessionLogWriter(db.sql, log);
    const data: Record<string, unknown> = {};
    data.self = data;
    expect(() => w.record({ type: 'event', sessionId: 's-cyc', name: 'x', data, at: Date.now() })).not.toThrow();
    expect(w.stats().droppedRows).toBe(1);
    await w.close();
  });
});

describe('session log writer through a database outage (postgres)', () => {
  let tdb: TestDatabase;
  let admin: postgres.Sql;

  beforeAll(async () => {
    tdb = await createTestDatabase('postgres');
    admin = postgres(TEST_SERVER_URL, { max: 1, onnotice: () => {} });
    const db = await openDatabase(tdb.config, log);
    await migrate(db.sql, log);
    await db.close();
  });
  afterAll(async () => {
    await admin?.unsafe(`alter database ${tdb.name} allow_connections true`).catch(() => {});
    await admin?.end();
    await tdb?.drop();
  });

  async function cutOff(): Promise<void> {
    await admin.unsafe(`alter database ${tdb.name} allow_connections false`);
    await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${tdb.name!}`;
  }
  async function restore(): Promise<void> {
    await admin.unsafe(`alter database ${tdb.name} allow_connections true`);
  }

  it('buffers while the database is gone and stores every row once when it returns', async () => {
    const db = await openDatabase(tdb.config, log, { connectTimeoutS: 1 });
    const w = new SessionLogWriter(db.sql, log, { maxBatch: 20, flushIntervalMs: 50, retryMinMs: 50, retryMaxMs: 200 });
    try {
      w.record(started('s-outage'));
      for (let i = 0; i < 30; i++) w.record(transcript('s-outage', i));
      await w.flush();
      await cutOff();
      for (let i = 30; i < 100; i++) w.record(transcript('s-outage', i));
      w.record(ended('s-outage'));
      await new Promise((r) => setTimeout(r, 600));
      expect(w.stats().bufferedRows).toBeGreaterThan(0);
      expect(w.stats().failedBatches).toBeGreaterThan(0);
      await restore();
      await w.flush();
      const rows = await admin.unsafe(`select 1`); // keep admin alive across the outage
      expect(rows.length).toBe(1);
      const check = postgres(tdb.url!, { max: 1 });
      const [c] = await check`select count(*)::int as n, count(distinct seq)::int as d from session_logs where session_id = 's-outage'`;
      const [s] = await check`select end_reason from sessions where id = 's-outage'`;
      await check.end();
      expect(c).toEqual({ n: 100, d: 100 });
      expect(s?.end_reason).toBe('caller_hangup');
      expect(w.stats()).toMatchObject({ writtenRows: 100, droppedRows: 0, bufferedRows: 0 });
    } finally {
      await restore();
      await w.close();
      await db.close();
    }
  });

  it('drops the oldest rows, counted, once the bound is reached', async () => {
    const db = await openDatabase(tdb.config, log, { connectTimeoutS: 1 });
    const w = new SessionLogWriter(db.sql, log, { maxBatch: 10, maxBufferedRows: 50, flushIntervalMs: 50, retryMinMs: 50, retryMaxMs: 200 });
    try {
      await cutOff();
      w.record(started('s-bound'));
      for (let i = 0; i < 120; i++) w.record(transcript('s-bound', i));
      // The batch in flight (10) is kept; the queue behind it is held at 50.
      expect(w.stats().droppedRows).toBeGreaterThanOrEqual(60);
      await restore();
      await w.flush();
      const check = postgres(tdb.url!, { max: 1 });
      const rows = await check`select seq from session_logs where session_id = 's-bound' order by seq`;
      await check.end();
      expect(rows.length).toBe(120 - w.stats().droppedRows);
      // What survived is the newest: the last row recorded is there.
      expect(rows.at(-1)?.seq).toBe(120);
    } finally {
      await restore();
      await w.close();
      await db.close();
    }
  });

  it('a batch abandoned after its timeout but committed later is not stored twice', async () => {
    const db = await openDatabase(tdb.config, log);
    const w = new SessionLogWriter(db.sql, log, { writeTimeoutMs: 150, retryMinMs: 20, retryMaxMs: 50 });
    const locker = postgres(tdb.url!, { max: 1 });
    try {
      // Hold a lock that makes inserts wait: the first attempt times out, the retries pile up behind it, then all
      // of them commit once the lock goes.
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      const tx = locker.begin(async (t) => {
        await t`lock table session_logs in exclusive mode`;
        await held;
      });
      await new Promise((r) => setTimeout(r, 100));
      w.record(started('s-retry'));
      for (let i = 0; i < 40; i++) w.record(transcript('s-retry', i));
      const flushed = w.flush();
      await new Promise((r) => setTimeout(r, 700));
      expect(w.stats().failedBatches).toBeGreaterThan(1);
      release();
      await tx;
      await flushed;
      await new Promise((r) => setTimeout(r, 300)); // abandoned attempts finish too
      const [c] = await db.sql`select count(*)::int as n from session_logs where session_id = 's-retry'`;
      expect(c?.n).toBe(40);
    } finally {
      await locker.end();
      await w.close();
      await db.close();
    }
  });
});
