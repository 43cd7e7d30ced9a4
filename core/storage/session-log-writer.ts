import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sql } from 'postgres';
import { errorMessage, StorageError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { SessionEnded, SessionEvent, SessionSink, SessionStarted } from '../session-events.ts';
import { FifoQueue } from './fifo-queue.ts';

export interface SessionLogWriterOptions {
  /** Identifies this gateway in `sessions.instance_id`. */
  instanceId?: string;
  /** Rows per INSERT; a full batch is written at once (default 500). */
  maxBatch?: number;
  /** A partial batch waits at most this long (default 200 ms). */
  flushIntervalMs?: number;
  /** Bound on buffered log rows; past it the oldest are dropped (default 100 000). */
  maxBufferedRows?: number;
  /** Bound on buffered payload bytes (default 64 MiB). */
  maxBufferedBytes?: number;
  /** Bound on buffered session starts/ends (default 20 000). */
  maxSessionOps?: number;
  /** A batch not committed within this is treated as failed and retried (default 10 s). */
  writeTimeoutMs?: number;
  /** Retry backoff, doubling from min to max (defaults 100 ms, 5 s). */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export interface SessionLogWriterStats {
  bufferedRows: number;
  bufferedBytes: number;
  bufferedSessionOps: number;
  writtenRows: number;
  droppedRows: number;
  droppedSessionOps: number;
  batches: number;
  failedBatches: number;
}

type LogKind = 'transcript' | 'tool_call' | 'event' | 'error';

interface LogRow {
  id: string;
  sessionId: string;
  seq: number;
  at: number;
  kind: LogKind;
  /** JSON text, made at `record` time: the session may reuse its objects afterwards. */
  payload: string;
}

type SessionOp =
  | { op: 'start'; event: SessionStarted; config: string }
  | { op: 'end'; event: SessionEnded; metrics: string; usage: string };

interface Batch {
  logs: LogRow[];
  ops: SessionOp[];
  bytes: number;
}

interface Waiter {
  logs: number;
  ops: number;
  resolve(): void;
}

/**
 * JSON text Postgres will take: `jsonb` and `text` refuse U+0000, which a tool's output or a model's text may carry.
 * One such row would otherwise fail its whole batch on every retry.
 */
export function storableJson(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes('\\u0000') ? JSON.stringify(value, (_k, v) => (typeof v === 'string' ? v.replaceAll('\0', '') : v)) : text;
}

function storableText(value: string | undefined): string | null {
  return value === undefined ? null : value.replaceAll('\0', '');
}

/** A payload larger than this is stored as a marker instead: one tool result must not fill the buffer. */
const MAX_PAYLOAD_BYTES = 256 * 1024;
/** Sessions whose sequence counter is remembered; one that never ends is forgotten oldest-first past this. */
const MAX_TRACKED_SESSIONS = 50_000;

/**
 * The session sink that stores: `session.started` becomes a `sessions` row, `session.ended` completes it, everything
 * else is a `session_logs` row. `record` only queues (the audio path never waits on the database); rows are written
 * in batches of `maxBatch`, or after `flushIntervalMs`, or at once when a session ends, one batch per transaction.
 *
 * When the database is down, batches are retried with backoff while new rows queue up to the bounds, past which the
 * oldest rows are dropped (counted, logged). Each log row carries a uuid made here and is inserted with
 * ON CONFLICT DO NOTHING, so a batch retried after a commit whose reply was lost stores nothing twice.
 */
export class SessionLogWriter implements SessionSink {
  readonly #sql: Sql;
  readonly #log: Logger;
  readonly #instanceId: string;
  readonly #maxBatch: number;
  readonly #maxRows: number;
  readonly #maxBytes: number;
  readonly #maxOps: number;
  readonly #writeTimeoutMs: number;
  readonly #retryMinMs: number;
  readonly #retryMaxMs: number;

  readonly #logs = new FifoQueue<LogRow>();
  readonly #ops = new FifoQueue<SessionOp>();
  readonly #seq = new Map<string, number>();
  #bytes = 0;
  /** The batch being written (or retried): taken off the queues, still counted as buffered. */
  #current: Batch | undefined;
  #draining: Promise<void> | undefined;
  #wantAll = false;
  #closing = false;
  readonly #stop = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #waiters: Waiter[] = [];

  // Totals: queued in, and settled out (written or dropped), per queue; flush() waits on these.
  #logsIn = 0;
  #logsOut = 0;
  #opsIn = 0;
  #opsOut = 0;
  #written = 0;
  #dropped = 0;
  #droppedOps = 0;
  #batches = 0;
  #failed = 0;
  #outageSince = 0;
  #lastDropReport = 0;

  constructor(sql: Sql, log: Logger, opts: SessionLogWriterOptions = {}) {
    this.#sql = sql;
    this.#log = log.child({ component: 'session-log-writer' });
    this.#instanceId = opts.instanceId ?? `${process.pid}`;
    this.#maxBatch = opts.maxBatch ?? 500;
    this.#maxRows = opts.maxBufferedRows ?? 100_000;
    this.#maxBytes = opts.maxBufferedBytes ?? 64 * 1024 * 1024;
    this.#maxOps = opts.maxSessionOps ?? 20_000;
    this.#writeTimeoutMs = opts.writeTimeoutMs ?? 10_000;
    this.#retryMinMs = opts.retryMinMs ?? 100;
    this.#retryMaxMs = opts.retryMaxMs ?? 5000;
    this.#timer = setInterval(() => {
      if (this.#logs.length > 0 || this.#ops.length > 0) this.#kick(true);
    }, opts.flushIntervalMs ?? 200);
    this.#timer.unref();
  }

  record(event: SessionEvent): void {
    if (this.#closing && this.#stop.signal.aborted) return;
    try {
      switch (event.type) {
        case 'session.started':
          this.#trackSession(event.sessionId);
          this.#pushOp({ op: 'start', event, config: storableJson(event.config ?? {}) });
          return;
        case 'session.ended':
          this.#seq.delete(event.sessionId);
          this.#pushOp({
            op: 'end',
            event,
            metrics: storableJson(event.metrics ?? {}),
            usage: storableJson(event.usage ?? {}),
          });
          // Flushed at session end: the call's rows are stored as soon as it is over.
          this.#kick(true);
          return;
        default:
          this.#pushLog(event);
      }
    } catch (err) {
      // A payload that will not serialise (a cycle, a BigInt) loses that row, never the call.
      this.#countDrop(1, `unserialisable ${event.type}: ${errorMessage(err)}`);
    }
  }

  /** Resolves when everything recorded before the call has been written (or dropped). Waits through outages. */
  flush(): Promise<void> {
    const target = { logs: this.#logsIn, ops: this.#opsIn };
    if (this.#logsOut >= target.logs && this.#opsOut >= target.ops) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push({ ...target, resolve });
      this.#kick(true);
    });
  }

  /**
   * Writes what is buffered, waiting at most `timeoutMs` (the database may be down at shutdown), then stops. Rows
   * still unwritten then are reported as lost.
   */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#timer);
    const done = this.flush();
    const timedOut = await Promise.race([done.then(() => false), sleep(timeoutMs, true, { ref: false })]);
    this.#stop.abort();
    await this.#draining?.catch(() => {});
    if (timedOut) {
      const lost = this.#logs.length + (this.#current?.logs.length ?? 0);
      this.#log.error({ lostRows: lost, lostSessionOps: this.#ops.length }, 'session logs unwritten at shutdown');
    }
    for (const w of this.#waiters.splice(0)) w.resolve();
  }

  stats(): SessionLogWriterStats {
    return {
      bufferedRows: this.#logs.length + (this.#current?.logs.length ?? 0),
      bufferedBytes: this.#bytes,
      bufferedSessionOps: this.#ops.length + (this.#current?.ops.length ?? 0),
      writtenRows: this.#written,
      droppedRows: this.#dropped,
      droppedSessionOps: this.#droppedOps,
      batches: this.#batches,
      failedBatches: this.#failed,
    };
  }

  #trackSession(sessionId: string): void {
    this.#seq.set(sessionId, 0);
    if (this.#seq.size > MAX_TRACKED_SESSIONS) {
      const oldest = this.#seq.keys().next().value;
      if (oldest !== undefined) this.#seq.delete(oldest);
    }
  }

  #pushOp(op: SessionOp): void {
    this.#ops.push(op);
    this.#opsIn++;
    if (this.#ops.length > this.#maxOps) {
      this.#ops.dropOldest(this.#ops.length - this.#maxOps, () => {
        this.#droppedOps++;
        this.#opsOut++;
      });
      this.#reportDrop('session rows dropped: buffer full');
    }
  }

  #pushLog(event: Exclude<SessionEvent, SessionStarted | SessionEnded>): void {
    const { type, sessionId, at, ...rest } = event;
    let payload = storableJson(rest);
    if (payload.length > MAX_PAYLOAD_BYTES) {
      payload = JSON.stringify({ truncated: true, bytes: payload.length, ...(type === 'event' ? { name: (rest as { name: string }).name } : {}) });
    }
    const seq = (this.#seq.get(sessionId) ?? 0) + 1;
    if (this.#seq.has(sessionId)) this.#seq.set(sessionId, seq);
    this.#logs.push({ id: randomUUID(), sessionId, seq, at, kind: type, payload });
    this.#logsIn++;
    this.#bytes += payload.length;
    if (this.#logs.length > this.#maxRows || this.#bytes > this.#maxBytes) this.#shed();
    if (this.#logs.length >= this.#maxBatch) this.#kick(false);
  }

  /** Drops the oldest queued rows until both bounds hold again (the batch in flight is kept). */
  #shed(): void {
    let n = 0;
    while (this.#logs.length > 0 && (this.#logs.length > this.#maxRows || this.#bytes > this.#maxBytes)) {
      this.#logs.dropOldest(1, (row) => {
        this.#bytes -= row.payload.length;
      });
      n++;
    }
    this.#countDrop(n, 'session log rows dropped: buffer full while the database is unavailable');
    this.#logsOut += n;
  }

  #countDrop(n: number, reason: string): void {
    this.#dropped += n;
    this.#reportDrop(reason);
  }

  #reportDrop(reason: string): void {
    const now = Date.now();
    if (now - this.#lastDropReport < 5000) return;
    this.#lastDropReport = now;
    this.#log.error(
      { droppedRows: this.#dropped, droppedSessionOps: this.#droppedOps, bufferedRows: this.#logs.length },
      reason,
    );
  }

  #kick(all: boolean): void {
    if (all) this.#wantAll = true;
    if (this.#draining || this.#stop.signal.aborted) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      // Rows that arrived as the loop was finishing.
      if (!this.#stop.signal.aborted && (this.#wantAll || this.#logs.length >= this.#maxBatch)) this.#kick(false);
    });
  }

  async #drain(): Promise<void> {
    let backoff = this.#retryMinMs;
    while (!this.#stop.signal.aborted) {
      if (!this.#current) {
        const all = this.#wantAll;
        if (this.#logs.length === 0 && this.#ops.length === 0) {
          this.#wantAll = false;
          this.#settleWaiters();
          return;
        }
        if (!all && this.#logs.length < this.#maxBatch) return;
        const logs = this.#logs.take(this.#maxBatch);
        const ops = this.#ops.take(this.#maxBatch);
        this.#current = { logs, ops, bytes: logs.reduce((n, r) => n + r.payload.length, 0) };
      }
      const batch = this.#current;
      try {
        let refused = { logs: 0, ops: 0 };
        try {
          await this.#writeWithTimeout(batch);
        } catch (err) {
          // A row the database will never take (bad data) must not hold up every row behind it.
          if (!isDataError(err)) throw err;
          refused = await this.#writeOneByOne(batch, err);
        }
        this.#current = undefined;
        this.#bytes -= batch.bytes;
        this.#written += batch.logs.length - refused.logs;
        this.#dropped += refused.logs;
        this.#droppedOps += refused.ops;
        this.#logsOut += batch.logs.length;
        this.#opsOut += batch.ops.length;
        this.#batches++;
        backoff = this.#retryMinMs;
        if (this.#outageSince) {
          this.#log.info({ outageMs: Date.now() - this.#outageSince, buffered: this.stats().bufferedRows }, 'session log writes resumed');
          this.#outageSince = 0;
        }
        this.#settleWaiters();
      } catch (err) {
        this.#failed++;
        if (!this.#outageSince) {
          this.#outageSince = Date.now();
          this.#log.error({ error: errorMessage(err), buffered: this.stats().bufferedRows }, 'session log write failed; retrying');
        } else {
          this.#log.debug({ error: errorMessage(err) }, 'session log write retry failed');
        }
        try {
          await sleep(backoff, undefined, { signal: this.#stop.signal });
        } catch {
          return;
        }
        backoff = Math.min(this.#retryMaxMs, backoff * 2);
      }
    }
  }

  #settleWaiters(): void {
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const w = this.#waiters[i]!;
      if (this.#logsOut >= w.logs && this.#opsOut >= w.ops) {
        this.#waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  async #writeWithTimeout(batch: Batch): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StorageError('database_timeout', `batch not committed within ${this.#writeTimeoutMs} ms`, true)),
        this.#writeTimeoutMs,
      );
    });
    const write = this.#write(batch);
    // An abandoned attempt may still commit later; the retry's ON CONFLICT DO NOTHING makes that harmless.
    write.catch(() => {});
    try {
      await Promise.race([write, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The batch failed on its data: write each row alone and drop (counted, logged) the ones refused. Rows already
   * stored by an earlier attempt are skipped by ON CONFLICT, so a connection error midway simply retries the batch.
   */
  async #writeOneByOne(batch: Batch, cause: unknown): Promise<{ logs: number; ops: number }> {
    const refused = { logs: 0, ops: 0 };
    this.#log.error({ error: errorMessage(cause), code: sqlState(cause) }, 'session log batch refused; isolating the bad rows');
    for (const op of batch.ops) {
      try {
        await this.#writeWithTimeout({ logs: [], ops: [op], bytes: 0 });
      } catch (err) {
        if (!isDataError(err)) throw err;
        refused.ops++;
        this.#log.error({ sessionId: op.event.sessionId, op: op.op, error: errorMessage(err) }, 'session row refused by the database; dropped');
      }
    }
    for (const row of batch.logs) {
      try {
        await this.#writeWithTimeout({ logs: [row], ops: [], bytes: 0 });
      } catch (err) {
        if (!isDataError(err)) throw err;
        refused.logs++;
        this.#log.error({ sessionId: row.sessionId, kind: row.kind, error: errorMessage(err) }, 'session log row refused by the database; dropped');
      }
    }
    return refused;
  }

  /** One transaction: new sessions, then log rows, then ended sessions (so an end in the same batch finds its row). */
  async #write(batch: Batch): Promise<void> {
    const starts: Extract<SessionOp, { op: 'start' }>[] = [];
    const ends: Extract<SessionOp, { op: 'end' }>[] = [];
    for (const op of batch.ops) (op.op === 'start' ? starts : ends).push(op as never);
    await this.#sql.begin(async (tx) => {
      if (starts.length > 0) {
        const e = starts.map((s) => s.event);
        await tx`
          insert into sessions (id, kind, call_sid, stream_sid, from_number, to_number, config_name, config,
                                instance_id, started_at)
          select id, kind, call_sid, stream_sid, from_number, to_number, config_name, config::jsonb,
                 ${this.#instanceId}, to_timestamp(at / 1000.0)
          from unnest(
            ${e.map((s) => s.sessionId)}::text[], ${e.map((s) => s.kind)}::text[],
            ${e.map((s) => storableText(s.callSid))}::text[], ${e.map((s) => storableText(s.streamSid))}::text[],
            ${e.map((s) => storableText(s.from))}::text[], ${e.map((s) => storableText(s.to))}::text[],
            ${e.map((s) => storableText(s.configName))}::text[], ${starts.map((s) => s.config)}::text[],
            ${e.map((s) => s.at)}::float8[]
          ) as t(id, kind, call_sid, stream_sid, from_number, to_number, config_name, config, at)
          on conflict (id) do nothing`;
      }
      if (batch.logs.length > 0) {
        const l = batch.logs;
        await tx`
          insert into session_logs (id, session_id, seq, at, kind, payload)
          select id, session_id, seq, to_timestamp(at / 1000.0), kind, payload::jsonb
          from unnest(
            ${l.map((r) => r.id)}::uuid[], ${l.map((r) => r.sessionId)}::text[], ${l.map((r) => r.seq)}::int[],
            ${l.map((r) => r.at)}::float8[], ${l.map((r) => r.kind)}::text[], ${l.map((r) => r.payload)}::text[]
          ) as t(id, session_id, seq, at, kind, payload)
          on conflict (id) do nothing`;
      }
      if (ends.length > 0) {
        const e = ends.map((s) => s.event);
        await tx`
          update sessions s
          set ended_at = to_timestamp(t.at / 1000.0), end_reason = t.reason, metrics = t.metrics::jsonb,
              usage = t.usage::jsonb
          from unnest(
            ${e.map((s) => s.sessionId)}::text[], ${e.map((s) => s.at)}::float8[], ${e.map((s) => storableText(s.reason))}::text[],
            ${ends.map((s) => s.metrics)}::text[], ${ends.map((s) => s.usage)}::text[]
          ) as t(id, at, reason, metrics, usage)
          where s.id = t.id`;
      }
    });
  }
}

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * SQLSTATE classes 22 (data exception) and 23 (integrity violation): the same rows fail every time. Anything else —
 * connection loss, timeouts, shutdown, a missing table before migrations ran — may pass on a retry.
 */
function isDataError(err: unknown): boolean {
  const code = sqlState(err);
  return code !== undefined && code.length === 5 && (code.startsWith('22') || code.startsWith('23'));
}
