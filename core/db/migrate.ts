import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from 'postgres';
import { errorMessage, StorageError } from '../errors.ts';
import type { Logger } from '../log.ts';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

/** Any fixed 64-bit number; every voxbridge instance uses the same one ("voxmigr" in ASCII). */
const LOCK_KEY = 0x766f786d696772n;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateOptions {
  dir?: string;
  /** How long to wait for another instance's migration run before giving up (default 60 s). */
  lockTimeoutMs?: number;
}

/** `NNN_words.sql` files of a directory, in order. Two files with one number are an error, not a coin toss. */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql'));
  const out: Migration[] = [];
  for (const file of files) {
    const m = /^(\d+)_[\w-]+\.sql$/.exec(file);
    if (!m) throw new StorageError('migration_failed', `migration file name must be NNN_name.sql: ${file}`);
    const text = await readFile(join(dir, file), 'utf8');
    out.push({
      version: Number(m[1]),
      name: file,
      sql: text,
      checksum: createHash('sha256').update(text).digest('hex'),
    });
  }
  out.sort((a, b) => a.version - b.version);
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.version === out[i - 1]!.version)
      throw new StorageError('migration_failed', `two migrations numbered ${out[i]!.version}`);
  }
  return out;
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in order, each in its own transaction, while
 * holding a session advisory lock, so two instances starting together apply each file once. Returns the names
 * applied. A file changed after it was applied is reported, not re-run: migrations are append-only.
 */
export async function migrate(sql: Sql, log: Logger, opts: MigrateOptions = {}): Promise<string[]> {
  const migrations = await readMigrations(opts.dir);
  const mlog = log.child({ component: 'migrate' });
  // A session-level advisory lock lives on one connection, so everything below runs on one reserved connection.
  const conn = await sql.reserve();
  try {
    await acquireLock(conn, opts.lockTimeoutMs ?? 60_000);
    try {
      await conn`
        create table if not exists schema_migrations (
          version integer primary key,
          name text not null,
          checksum text not null,
          applied_at timestamptz not null default now()
        )`;
      const rows = await conn<{ version: number; checksum: string }[]>`select version, checksum from schema_migrations`;
      const applied = new Map(rows.map((r) => [r.version, r.checksum]));
      const done: string[] = [];
      for (const m of migrations) {
        const checksum = applied.get(m.version);
        if (checksum !== undefined) {
          if (checksum !== m.checksum) mlog.warn({ migration: m.name }, 'applied migration has changed since; not re-run');
          continue;
        }
        const started = performance.now();
        try {
          await conn.unsafe('begin');
          await conn.unsafe(m.sql);
          await conn`insert into schema_migrations (version, name, checksum) values (${m.version}, ${m.name}, ${m.checksum})`;
          await conn.unsafe('commit');
        } catch (err) {
          await conn.unsafe('rollback').catch(() => {});
          throw new StorageError('migration_failed', `${m.name}: ${errorMessage(err)}`, false, { cause: err });
        }
        mlog.info({ migration: m.name, ms: Math.round(performance.now() - started) }, 'migration applied');
        done.push(m.name);
      }
      return done;
    } finally {
      await conn`select pg_advisory_unlock(${LOCK_KEY.toString()}::bigint)`.catch(() => {});
    }
  } finally {
    conn.release();
  }
}

async function acquireLock(conn: Sql, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // pg_try_ in a loop rather than pg_advisory_lock: a bounded wait, and the same on PGlite.
  for (;;) {
    const [row] = await conn<{ locked: boolean }[]>`select pg_try_advisory_lock(${LOCK_KEY.toString()}::bigint) as locked`;
    if (row?.locked) return;
    if (Date.now() > deadline)
      throw new StorageError('migration_lock_timeout', `another instance held the migration lock for ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
