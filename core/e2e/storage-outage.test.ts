import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { talkSpurt } from '../../bench/callers/speech-fixtures.ts';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { type Harness, startHarness, waitFor } from '../../transports/e2e/harness.ts';
import { createTestDatabase, TEST_SERVER_URL, type TestDatabase } from '../db/test-database.ts';
import { createLogger } from '../log.ts';
import { fanOut, type SessionEvent } from '../session-events.ts';
import { openStorage, type Storage } from '../storage/storage.ts';

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

/**
 * The database goes away in the middle of a call (its connections terminated, new ones refused) and comes back:
 * the call never notices, and afterwards every log row the call produced is stored exactly once.
 */
describe('a call through a database outage', () => {
  let tdb: TestDatabase;
  let admin: postgres.Sql;
  let storage: Storage;
  let h: Harness;
  const events: SessionEvent[] = [];

  beforeAll(async () => {
    tdb = await createTestDatabase('postgres');
    admin = postgres(TEST_SERVER_URL, { max: 1, onnotice: () => {} });
    storage = await openStorage(tdb.config, log, {
      database: { connectTimeoutS: 1 },
      logWriter: { flushIntervalMs: 100, retryMinMs: 50, retryMaxMs: 300 },
    });
    let q = 0;
    let a = 0;
    h = await startHarness({
      sim: { transcribe: () => `question ${++q}`, answer: () => ({ toneMs: 300, transcript: `answer ${++a}` }) },
      gateway: {
        sink: fanOut({ record: (e) => void events.push(e) }, storage.sink),
        bus: storage.bus,
        agentConfig: storage.liveConfig.current(),
      },
    });
  });
  afterAll(async () => {
    await admin?.unsafe(`alter database ${tdb.name} allow_connections true`).catch(() => {});
    await h?.close();
    await storage?.close();
    await admin?.end();
    await tdb?.drop();
  });

  async function turn(caller: TwilioCaller, n: number): Promise<void> {
    await caller.speak(talkSpurt(400, 400 + n * 30));
    const spokeAt = performance.now();
    await waitFor(() => caller.received.find((r) => r.at > spokeAt && r.event.event === 'media'), `the answer to turn ${n}`, 5000);
    await waitFor(() => caller.queuedMs() === 0, `turn ${n} to finish playing`, 5000);
  }

  it('goes on while the database is down and stores every row once when it is back', async () => {
    const caller = new TwilioCaller({ url: h.callUrl, audio: new Uint8Array(0), pace: 1, continuous: true });
    await caller.call();
    await turn(caller, 1);
    await turn(caller, 2);

    // Down: refuse new connections, end the open ones.
    await admin.unsafe(`alter database ${tdb.name} allow_connections false`);
    await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${tdb.name!}`;
    expect(await storage.ready()).toBe(false);
    await turn(caller, 3);
    await turn(caller, 4);
    await turn(caller, 5);
    expect(caller.closed).toBe(false);
    expect(storage.logWriter.stats().bufferedRows).toBeGreaterThan(0);
    expect(storage.logWriter.stats().failedBatches).toBeGreaterThan(0);

    // Back.
    await admin.unsafe(`alter database ${tdb.name} allow_connections true`);
    await turn(caller, 6);
    caller.hangUp();
    await waitFor(() => events.some((e) => e.type === 'session.ended'), 'the session to end', 5000);
    await storage.logWriter.flush();
    expect(await storage.ready()).toBe(true);

    const sessionId = events[0]!.sessionId;
    const logged = events.filter((e) => e.sessionId === sessionId && e.type !== 'session.started' && e.type !== 'session.ended');
    const rows = await storage.sql<{ n: number; seqs: number; ids: number }[]>`
      select count(*)::int as n, count(distinct seq)::int as seqs, count(distinct id)::int as ids
      from session_logs where session_id = ${sessionId}`;
    expect(rows[0]).toEqual({ n: logged.length, seqs: logged.length, ids: logged.length });
    const transcripts = await storage.sql<{ text: string }[]>`
      select payload->>'text' as text from session_logs where session_id = ${sessionId} and kind = 'transcript' order by seq`;
    for (let i = 1; i <= 6; i++) {
      expect(transcripts.map((t) => t.text)).toContain(`question ${i}`);
      expect(transcripts.map((t) => t.text)).toContain(`answer ${i}`);
    }
    const [session] = await storage.sql`select kind, end_reason, ended_at from sessions where id = ${sessionId}`;
    expect(session).toMatchObject({ kind: 'phone' });
    expect(session?.ended_at).not.toBeNull();
    expect(storage.logWriter.stats().droppedRows).toBe(0);
  }, 60_000);
});
