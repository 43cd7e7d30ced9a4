import type { Sql } from 'postgres';
import { StorageError } from '../errors.ts';
import type { SessionKind } from '../session-events.ts';

export interface SessionSummary {
  id: string;
  kind: SessionKind;
  callSid: string | null;
  streamSid: string | null;
  from: string | null;
  to: string | null;
  configName: string | null;
  instanceId: string | null;
  startedAt: string;
  endedAt: string | null;
  endReason: string | null;
  durationMs: number | null;
}

export interface SessionLogEntry {
  id: string;
  seq: number;
  at: string;
  kind: 'transcript' | 'tool_call' | 'event' | 'error';
  payload: Record<string, unknown>;
}

export interface TranscriptLine {
  at: string;
  role: 'user' | 'assistant';
  text: string;
  itemId: string | null;
  truncated: boolean;
}

export interface SessionDetail extends SessionSummary {
  config: Record<string, unknown> | null;
  metrics: Record<string, unknown> | null;
  usage: Record<string, unknown> | null;
  transcript: TranscriptLine[];
  logs: SessionLogEntry[];
  /** True when the session has more log rows than `maxLogs`; the first ones are returned. */
  logsTruncated: boolean;
}

export interface SessionQuery {
  kind?: SessionKind;
  /** Sessions started at or after this time. */
  since?: Date;
  /** Sessions started before this time. */
  until?: Date;
  limit: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface SessionPage {
  sessions: SessionSummary[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

interface SummaryRow extends Omit<SessionSummary, 'startedAt' | 'endedAt'> {
  startedAt: Date;
  endedAt: Date | null;
  cursorAt: string;
}

const SUMMARY = `id, kind, call_sid as "callSid", stream_sid as "streamSid", from_number as "from", to_number as "to",
  config_name as "configName", instance_id as "instanceId", started_at as "startedAt", ended_at as "endedAt",
  end_reason as "endReason",
  (extract(epoch from (ended_at - started_at)) * 1000)::float8 as "durationMs",
  started_at::text as "cursorAt"`;

/** Reads `sessions` and `session_logs` for the admin API. Keyset paging on (started_at, id): stable under inserts. */
export class SessionStore {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async list(q: SessionQuery): Promise<SessionPage> {
    const sql = this.#sql;
    const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    const rows = await sql<SummaryRow[]>`
      select ${sql.unsafe(SUMMARY)} from sessions
      where true
        ${q.kind ? sql`and kind = ${q.kind}` : sql``}
        ${q.since ? sql`and started_at >= ${q.since}` : sql``}
        ${q.until ? sql`and started_at < ${q.until}` : sql``}
        ${cursor ? sql`and (started_at, id) < (${cursor.at}::timestamptz, ${cursor.id})` : sql``}
      order by started_at desc, id desc
      limit ${q.limit + 1}`;
    const more = rows.length > q.limit;
    const page = more ? rows.slice(0, q.limit) : rows;
    const last = page.at(-1);
    return {
      sessions: page.map(toSummary),
      nextCursor: more && last ? encodeCursor(last.cursorAt, last.id) : null,
    };
  }

  async get(id: string, maxLogs = 5000): Promise<SessionDetail | undefined> {
    const sql = this.#sql;
    const [row] = await sql<(SummaryRow & Pick<SessionDetail, 'config' | 'metrics' | 'usage'>)[]>`
      select ${sql.unsafe(SUMMARY)}, config, metrics, usage from sessions where id = ${id}`;
    if (!row) return undefined;
    const logs = await sql<(Omit<SessionLogEntry, 'at'> & { at: Date })[]>`
      select id, seq, at, kind, payload from session_logs where session_id = ${id}
      order by seq, at limit ${maxLogs + 1}`;
    const truncated = logs.length > maxLogs;
    const entries: SessionLogEntry[] = (truncated ? logs.slice(0, maxLogs) : logs).map((l) => ({
      id: l.id,
      seq: l.seq,
      at: l.at.toISOString(),
      kind: l.kind,
      payload: l.payload,
    }));
    return {
      ...toSummary(row),
      config: row.config,
      metrics: row.metrics,
      usage: row.usage,
      transcript: entries.filter((e) => e.kind === 'transcript').map(toTranscriptLine),
      logs: entries,
      logsTruncated: truncated,
    };
  }
}

function toSummary(row: SummaryRow): SessionSummary {
  return {
    id: row.id,
    kind: row.kind,
    callSid: row.callSid,
    streamSid: row.streamSid,
    from: row.from,
    to: row.to,
    configName: row.configName,
    instanceId: row.instanceId,
    startedAt: row.startedAt.toISOString(),
    endedAt: row.endedAt ? row.endedAt.toISOString() : null,
    endReason: row.endReason,
    durationMs: row.durationMs === null ? null : Math.round(row.durationMs),
  };
}

function toTranscriptLine(e: SessionLogEntry): TranscriptLine {
  const p = e.payload;
  return {
    at: e.at,
    role: p.role === 'assistant' ? 'assistant' : 'user',
    text: typeof p.text === 'string' ? p.text : '',
    itemId: typeof p.itemId === 'string' ? p.itemId : null,
    truncated: p.truncated === true,
  };
}

const PG_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;

/** The cursor carries Postgres's own text of the timestamp (microseconds), which a JS Date would round. */
function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

function decodeCursor(cursor: string): { at: string; id: string } {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[1] === 'string' && PG_TIMESTAMP.test(String(v[0]))) {
      return { at: v[0], id: v[1] };
    }
  } catch {
    // fall through
  }
  throw new StorageError('invalid_cursor', 'cursor is not one this API returned');
}
