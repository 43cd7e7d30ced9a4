import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { mulawDecode } from '../codecs/g711.ts';
import { PgBus } from '../core/bus/pg-bus.ts';
import { SessionEventPublisher } from '../core/bus/session-event-publisher.ts';
import { type Database, openDatabase } from '../core/db/database.ts';
import { migrate } from '../core/db/migrate.ts';
import { type Backend, createTestDatabase, type TestDatabase } from '../core/db/test-database.ts';
import { createLogger } from '../core/log.ts';
import { fanOut, nullSink, type SessionSink } from '../core/session-events.ts';
import { SessionLogWriter } from '../core/storage/session-log-writer.ts';
import type { BenchContext, BenchResult } from './bench-types.ts';

/**
 * How many session log rows per second does the batch writer store, and how much event-loop delay does it add to
 * the calls running beside it?
 *
 * Throughput: a burst of rows recorded as fast as the loop allows, timed until the last is committed, per batch size.
 * Delay: 200 paced calls (each a 20 ms timer doing a frame's G.711 decode, as the relay path does) recording log rows
 * at a fixed rate; the event loop's delay (perf_hooks) with the writer, minus the same run with a sink that discards.
 */
const log = createLogger('silent');

interface Opened {
  tdb: TestDatabase;
  db: Database;
}

async function open(backend: Backend): Promise<Opened> {
  const tdb = await createTestDatabase(backend);
  const db = await openDatabase(tdb.config, log);
  await migrate(db.sql, log);
  return { tdb, db };
}

async function close(o: Opened): Promise<void> {
  await o.db.close();
  await o.tdb.drop();
}

function transcript(sessionId: string, n: number) {
  return {
    type: 'transcript' as const,
    sessionId,
    role: n % 2 ? ('assistant' as const) : ('user' as const),
    itemId: `item_${n}`,
    text: 'I would like to know whether the store on Main Street is open this Sunday afternoon.',
    at: Date.now(),
  };
}

async function throughput(o: Opened, maxBatch: number, rows: number): Promise<{ rowsPerS: number; batches: number }> {
  const w = new SessionLogWriter(o.db.sql, log, { maxBatch, flushIntervalMs: 50, maxBufferedRows: rows + 1 });
  const sessionId = `tp-${randomBytes(4).toString('hex')}`;
  w.record({ type: 'session.started', sessionId, kind: 'phone', configName: 'bench', config: {}, at: Date.now() });
  const t0 = performance.now();
  for (let i = 0; i < rows; i++) {
    w.record(transcript(sessionId, i));
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  await w.flush();
  const s = (performance.now() - t0) / 1000;
  const stats = w.stats();
  await w.close();
  return { rowsPerS: rows / s, batches: stats.batches };
}

interface DelayResult {
  p50: number;
  p99: number;
  max: number;
  written: number;
  dropped: number;
  framesLate: number;
}

/** 200 calls, one 20 ms frame each per tick, `rowsPerCallPerS` log rows each; event-loop delay over `measureMs`. */
async function pacedCalls(
  sink: SessionSink,
  calls: number,
  rowsPerCallPerS: number,
  warmupMs: number,
  measureMs: number,
): Promise<Omit<DelayResult, 'written' | 'dropped'>> {
  const frame = new Uint8Array(160).fill(0x7f);
  const pcm = new Int16Array(160);
  const timers: NodeJS.Timeout[] = [];
  let framesLate = 0;
  let measuring = false;
  const everyFrames = Math.max(1, Math.round(50 / rowsPerCallPerS));
  for (let c = 0; c < calls; c++) {
    const sessionId = `call-${c}-${randomBytes(3).toString('hex')}`;
    sink.record({ type: 'session.started', sessionId, kind: 'phone', configName: 'bench', config: {}, at: Date.now() });
    let n = 0;
    let last = performance.now();
    // Start the calls spread over one frame period, as real calls are.
    await sleep(20 / calls);
    timers.push(
      setInterval(() => {
        const now = performance.now();
        if (measuring && now - last > 40) framesLate++;
        last = now;
        mulawDecode(frame, pcm);
        if (++n % everyFrames === 0) sink.record(transcript(sessionId, n));
      }, 20),
    );
  }
  await sleep(warmupMs);
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  measuring = true;
  await sleep(measureMs);
  h.disable();
  for (const t of timers) clearInterval(t);
  return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6, framesLate };
}

export default async function run(ctx: BenchContext): Promise<BenchResult> {
  const burst = ctx.quick ? 20_000 : 100_000;
  const batches = ctx.quick ? [100, 500] : [100, 500, 2000];
  const calls = 200;
  const rates = ctx.quick ? [5] : [1, 5, 25];
  const warmupMs = ctx.quick ? 500 : 1000;
  const measureMs = ctx.quick ? 2000 : 5000;

  const loadAtStart = loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
  const tp: Array<Array<string | number>> = [];
  const delay: Array<Array<string | number>> = [];
  const pg = await open('postgres');
  const lite = await open('pglite');
  try {
    for (const [backend, o] of [['postgres', pg], ['pglite', lite]] as const) {
      for (const maxBatch of batches) {
        const r = await throughput(o, maxBatch, burst);
        tp.push([backend, maxBatch, burst, Math.round(r.rowsPerS), r.batches]);
      }
    }

    for (const rate of rates) {
      // The discarding baseline runs before and after the writers; their mean is what "added" is measured from,
      // so drift in the machine's load over the run does not land on one side.
      const before = await pacedCalls(nullSink, calls, rate, warmupMs, measureMs);
      const runs: Array<[string, Opened, boolean]> = [
        ['writer → postgres', pg, false],
        ['writer + live bus feed → postgres', pg, true],
        ['writer → pglite (in-process)', lite, false],
      ];
      const measured: Array<{ label: string; d: Omit<DelayResult, 'written' | 'dropped'>; written: number; dropped: number }> = [];
      for (const [label, o, withBus] of runs) {
        const w = new SessionLogWriter(o.db.sql, log, { maxBatch: 500, flushIntervalMs: 200 });
        const bus = withBus ? new PgBus(o.db.sql, log) : undefined;
        const sink = bus ? fanOut(w, new SessionEventPublisher(bus, log)) : w;
        const d = await pacedCalls(sink, calls, rate, warmupMs, measureMs);
        await w.flush();
        const s = w.stats();
        await w.close();
        await bus?.close();
        measured.push({ label, d, written: s.writtenRows, dropped: s.droppedRows });
      }
      const after = await pacedCalls(nullSink, calls, rate, warmupMs, measureMs);
      const baseP99 = (before.p99 + after.p99) / 2;
      const row = (label: string, d: Omit<DelayResult, 'written' | 'dropped'>, added: number | string, written: number | string, dropped: number | string) =>
        delay.push([label, rate, calls * rate, d.p50, d.p99, added, d.max, d.framesLate, written, dropped]);
      row('none (discard), before', before, '-', '-', '-');
      for (const m of measured) row(m.label, m.d, Math.max(0, m.d.p99 - baseP99), m.written, m.dropped);
      row('none (discard), after', after, '-', '-', '-');
    }
  } finally {
    await close(pg);
    await close(lite);
  }

  return {
    name: 'storage',
    tables: [
      {
        title: `Batch writer throughput: a burst of ${burst} transcript rows, recorded then stored (one transaction per batch)`,
        columns: ['database', 'batch rows', 'rows', 'rows/s stored', 'batches'],
        rows: tp,
      },
      {
        title: `Event-loop delay with ${calls} paced calls (20 ms frames, G.711 decode each) recording log rows`,
        columns: [
          'sink',
          'rows/s per call',
          'rows/s total',
          'loop delay p50 ms',
          'p99 ms',
          'p99 added ms',
          'max ms',
          'frames >40 ms late',
          'rows written',
          'rows dropped',
        ],
        rows: delay,
      },
    ],
    notes: [
      "postgres: the machine's PostgreSQL on 127.0.0.1 (a fresh database per run); pglite: embedded PGlite served by pglite-socket in this same process, so its query execution (WASM) runs on this event loop.",
      'p99 added = p99 loop delay with the sink minus the mean p99 of the discarding runs just before and after, same row rate. perf_hooks monitorEventLoopDelay, 1 ms resolution.',
      'live bus feed: events also go out on the `session` channel (what dashboards on other instances read), gathered into one NOTIFY per ≤ 50 ms, as the gateway\'s sink does.',
      'A real call records ~1 row/s (transcripts, tool calls, turn events); 25 rows/s per call is a stress level.',
      `The machine is shared (2 cores, other suites may run; load average ${loadAtStart} at start): compare rows of one run, not across runs.`,
    ],
  };
}
