import { join, resolve } from 'node:path';
import postgres, { type Sql } from 'postgres';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { lockDataDir } from './data-dir-lock.ts';

export type { Sql };

/**
 * One open database: a postgres.js client and how to close it. `embedded` is true for PGlite, where one backend
 * serves every query (no LISTEN/NOTIFY across processes, no concurrency), so callers pick the in-process bus.
 */
export interface Database {
  readonly sql: Sql;
  readonly embedded: boolean;
  /** Where it is, for logs: the URL without its password, or the data directory. */
  readonly describe: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Pool size against a real server (default 10). */
  max?: number;
  /** Seconds to wait for a connection before a query fails (default 5). */
  connectTimeoutS?: number;
  /** Server-side cap on any one statement, ms (default 15 s); the batch writer has its own, shorter, on top. */
  statementTimeoutMs?: number;
}

/**
 * Opens `DATABASE_URL`, or with none an embedded PGlite in `DATA_DIR` served on a loopback port by pglite-socket, so
 * the same driver and SQL run in both. The PGlite packages are imported only here and only when needed: they weigh
 * ~800 MB of memory once started.
 */
export async function openDatabase(config: Config, log: Logger, opts: DatabaseOptions = {}): Promise<Database> {
  const dbLog = log.child({ component: 'db' });
  if (config.DATABASE_URL) return openServer(config.DATABASE_URL, dbLog, opts);
  return openEmbedded(resolve(config.DATA_DIR), dbLog);
}

function openServer(url: string, log: Logger, opts: DatabaseOptions): Database {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    connect_timeout: opts.connectTimeoutS ?? 5,
    idle_timeout: 60,
    onnotice: () => {},
    connection: {
      application_name: 'voxbridge',
      statement_timeout: opts.statementTimeoutMs ?? 15_000,
    },
  });
  const describe = redactUrl(url);
  log.info({ database: describe }, 'database opened');
  return {
    sql,
    embedded: false,
    describe,
    async close() {
      // The log writer has flushed by now; what is left is at most an API query. A connection broken by an outage
      // can keep end() waiting for its whole timeout, so keep it short.
      await sql.end({ timeout: 2 });
    },
  };
}

async function openEmbedded(dataDir: string, log: Logger): Promise<Database> {
  const lock = lockDataDir(dataDir);
  try {
    const started = performance.now();
    const { PGlite } = await import('@electric-sql/pglite');
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    const pglite = await PGlite.create(join(dataDir, 'pglite'));
    const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: 4 });
    await server.start();
    // The socket shares one backend, so one connection: a second would interleave its statements with the first's
    // transactions.
    const sql = postgres(`postgres://postgres@${server.getServerConn()}/postgres`, {
      max: 1,
      connect_timeout: 5,
      onnotice: () => {},
    });
    log.info({ dataDir, ms: Math.round(performance.now() - started) }, 'embedded database opened');
    return {
      sql,
      embedded: true,
      describe: dataDir,
      async close() {
        try {
          await sql.end({ timeout: 5 });
          await server.stop();
          await pglite.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable)';
  }
}
