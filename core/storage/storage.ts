import { hostname } from 'node:os';
import type { Sql } from 'postgres';
import { defaultAgentConfig } from '../agent-config.ts';
import type { Bus } from '../bus.ts';
import { LocalBus } from '../bus/local-bus.ts';
import { PgBus } from '../bus/pg-bus.ts';
import { SessionEventPublisher } from '../bus/session-event-publisher.ts';
import type { Config } from '../config.ts';
import { type Database, type DatabaseOptions, openDatabase } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import type { Logger } from '../log.ts';
import { fanOut, type SessionSink } from '../session-events.ts';
import { AgentConfigStore } from './agent-config-store.ts';
import { LiveAgentConfig } from './live-agent-config.ts';
import { SessionLogWriter, type SessionLogWriterOptions } from './session-log-writer.ts';
import { SessionStore } from './session-store.ts';
import { ToolDefinitionStore } from './tool-definition-store.ts';

/**
 * Everything the gateway keeps in the database, opened and migrated in one call.
 *
 * - `sql`: the postgres.js client (server pool, or one connection to embedded PGlite).
 * - `bus`: LISTEN/NOTIFY with a server, in-process with PGlite. Channels: `config` (`{ version }` per save),
 *   `tools` (`{ op, name }` per definition change), `session` (`{ events: SessionEvent[] }`, live events gathered
 *   for ≤ 50 ms, long text cut to 2000 characters). After a LISTEN reconnect each channel gets `{ resync: true }`.
 * - `sink`: the gateway's `SessionSink` — `logWriter` (batched into `sessions`/`session_logs`) plus the bus feed.
 * - `configs`: the agent config versions; `liveConfig`: the active one, current on every instance (sessions
 *   subscribe to it and apply changes between turns).
 * - `toolDefinitions`: `tool_definitions` (its `definitions` is the tool registry's `DefinitionSource`).
 * - `sessions`: reads of sessions and their logs for the API.
 * - `ready()`: the database answers within 2 s (`/readyz`). `close()`: flush logs (≤ 5 s), stop the bus, close.
 */
export interface Storage {
  readonly db: Database;
  readonly sql: Sql;
  readonly bus: Bus;
  readonly sink: SessionSink;
  readonly logWriter: SessionLogWriter;
  readonly configs: AgentConfigStore;
  readonly liveConfig: LiveAgentConfig;
  readonly toolDefinitions: ToolDefinitionStore;
  readonly sessions: SessionStore;
  /** Identifies this instance in `sessions.instance_id`. */
  readonly instanceId: string;
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

export interface StorageOptions {
  database?: DatabaseOptions;
  logWriter?: SessionLogWriterOptions;
  /** Publish session events on the bus (default true). */
  publishSessionEvents?: boolean;
}

export async function openStorage(config: Config, log: Logger, opts: StorageOptions = {}): Promise<Storage> {
  const slog = log.child({ component: 'storage' });
  const db = await openDatabase(config, log, opts.database);
  let bus: Bus | undefined;
  let liveConfig: LiveAgentConfig | undefined;
  let logWriter: SessionLogWriter | undefined;
  try {
    await migrate(db.sql, log);
    bus = db.embedded ? new LocalBus(log) : new PgBus(db.sql, log);
    const instanceId = opts.logWriter?.instanceId ?? `${hostname()}:${process.pid}`;
    logWriter = new SessionLogWriter(db.sql, log, { ...opts.logWriter, instanceId });
    const publisher = opts.publishSessionEvents === false ? undefined : new SessionEventPublisher(bus, log);
    const sink = publisher ? fanOut(logWriter, publisher) : logWriter;
    const configs = new AgentConfigStore(
      db.sql,
      bus,
      log,
      defaultAgentConfig({ model: config.OPENAI_MODEL, apiMode: config.OPENAI_API_MODE }),
    );
    // LISTEN in place before the first read, so a save made meanwhile on another instance is not missed.
    if (bus instanceof PgBus) await Promise.all([bus.listening('config'), bus.listening('tools')]);
    liveConfig = await LiveAgentConfig.start(configs, bus, log);
    const toolDefinitions = new ToolDefinitionStore(db.sql, bus, log);
    const sessions = new SessionStore(db.sql);
    const openedBus = bus;
    const openedLive = liveConfig;
    const writer = logWriter;
    let closing: Promise<void> | undefined;
    slog.info({ database: db.describe, embedded: db.embedded, configVersion: liveConfig.version() }, 'storage ready');
    return {
      db,
      sql: db.sql,
      bus,
      sink,
      logWriter,
      configs,
      liveConfig,
      toolDefinitions,
      sessions,
      instanceId,
      async ready() {
        return isReachable(db.sql);
      },
      close() {
        closing ??= (async () => {
          openedLive.close();
          publisher?.flush();
          await writer.close(5000);
          await openedBus.close();
          await db.close();
          slog.info(writer.stats(), 'storage closed');
        })();
        return closing;
      },
    };
  } catch (err) {
    liveConfig?.close();
    await logWriter?.close(0).catch(() => {});
    await bus?.close().catch(() => {});
    await db.close().catch(() => {});
    throw err;
  }
}

/** `select 1` answered within `timeoutMs`. */
export async function isReachable(sql: Sql, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([sql`select 1`.then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
