import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { type Config, makeConfig } from '../config.ts';

/**
 * Databases for tests and benches: a fresh, randomly named database on the machine's PostgreSQL (dropped after), or
 * a fresh embedded PGlite data directory. Both are what production opens; nothing is faked.
 */
export type Backend = 'postgres' | 'pglite';
export const BACKENDS: readonly Backend[] = ['postgres', 'pglite'];

/** The shared server tests use: 127.0.0.1:5432, user postgres, trust auth. `TEST_PG_URL` overrides. */
export const TEST_SERVER_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  backend: Backend;
  /** DATABASE_URL or DATA_DIR set to the fresh database; other overrides as given. */
  config: Config;
  /** For a server database: its name (to terminate its connections, block it, drop it). */
  name?: string;
  url?: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(
  backend: Backend,
  overrides: Partial<Record<keyof Config, string | number>> = {},
): Promise<TestDatabase> {
  return backend === 'postgres' ? createServerDatabase(overrides) : createEmbeddedDatabase(overrides);
}

async function createServerDatabase(overrides: Partial<Record<keyof Config, string | number>>): Promise<TestDatabase> {
  // The creation time is in the name, so databases left by a run that crashed before dropping them can be swept.
  const name = `voxbridge_test_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(TEST_SERVER_URL, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sweepAbandoned(admin);
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 2 });
  }
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  return {
    backend: 'postgres',
    name,
    url: url.toString(),
    config: makeConfig({ LOG_LEVEL: 'silent', ...overrides, DATABASE_URL: url.toString() }),
    async drop() {
      const a = postgres(TEST_SERVER_URL, { max: 1, connect_timeout: 5, onnotice: () => {} });
      try {
        await a.unsafe(`alter database ${name} allow_connections true`).catch(() => {});
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end({ timeout: 2 });
      }
    },
  };
}

/** Drops test databases older than an hour that nobody is connected to (a crashed run's leftovers). */
async function sweepAbandoned(admin: postgres.Sql): Promise<void> {
  const rows = await admin<{ datname: string }[]>`
    select datname from pg_database d
    where datname ~ '^voxbridge_test_[0-9]+_[0-9a-f]+$'
      and split_part(datname, '_', 3)::bigint < extract(epoch from now()) - 3600
      and not exists (select 1 from pg_stat_activity a where a.datname = d.datname)`;
  for (const { datname } of rows) await admin.unsafe(`drop database if exists ${datname}`).catch(() => {});
}

/**
 * PGlite's first start runs initdb (~5–8 s, most of a core). The result is cached once per machine as a template and
 * copied per test file, which opens in under a second.
 */
async function createEmbeddedDatabase(overrides: Partial<Record<keyof Config, string | number>>): Promise<TestDatabase> {
  const template = await pgliteTemplate();
  const dataDir = await mkdtemp(join(tmpdir(), 'voxbridge-data-'));
  await cp(template, join(dataDir, 'pglite'), { recursive: true });
  return {
    backend: 'pglite',
    config: makeConfig({ LOG_LEVEL: 'silent', ...overrides, DATA_DIR: dataDir }),
    async drop() {
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function pgliteTemplate(): Promise<string> {
  const { PGlite } = await import('@electric-sql/pglite');
  const dir = join(tmpdir(), 'voxbridge-pglite-template-0.5.14');
  if (existsSync(join(dir, 'PG_VERSION'))) return dir;
  // Built aside and renamed into place, so a concurrent test file sees either nothing or a complete template.
  const building = `${dir}.${process.pid}.${randomBytes(3).toString('hex')}`;
  await mkdir(building, { recursive: true });
  const db = await PGlite.create(building);
  await db.close();
  try {
    await rename(building, dir);
  } catch {
    await rm(building, { recursive: true, force: true });
  }
  return dir;
}
