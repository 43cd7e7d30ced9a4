import { mkdtemp, rm, writeFile, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { type Database, openDatabase } from './database.ts';
import { MIGRATIONS_DIR, migrate, readMigrations } from './migrate.ts';
import { BACKENDS, createTestDatabase, type TestDatabase } from './test-database.ts';

const log = createLogger('silent');

describe.each(BACKENDS)('migrations on %s', (backend) => {
  let tdb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    tdb = await createTestDatabase(backend);
    db = await openDatabase(tdb.config, log);
  });
  afterAll(async () => {
    await db?.close();
    await tdb?.drop();
  });

  it('applies every file once, in order, and records each', async () => {
    const files = await readMigrations();
    const first = await migrate(db.sql, log);
    expect(first).toEqual(files.map((f) => f.name));
    expect(await migrate(db.sql, log)).toEqual([]);
    const rows = await db.sql`select version, name from schema_migrations order by version`;
    expect(rows.map((r) => r.name)).toEqual(files.map((f) => f.name));
  });

  it('rolls a failing migration back whole and names it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'voxbridge-mig-'));
    try {
      for (const f of await readMigrations()) await copyFile(join(MIGRATIONS_DIR, f.name), join(dir, f.name));
      await writeFile(join(dir, '900_broken.sql'), 'create table half_done (id int);\nselect * from no_such_table;\n');
      await expect(migrate(db.sql, log, { dir })).rejects.toMatchObject({ code: 'migration_failed', message: /900_broken/ });
      const [t] = await db.sql`select to_regclass('half_done') as t`;
      expect(t?.t).toBeNull();
      const [m] = await db.sql`select count(*)::int as n from schema_migrations where version = 900`;
      expect(m?.n).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps exactly one active agent config', async () => {
    const cols = `name, instructions, voice, model, api_mode, turn_detection`;
    const vals = `'a', 'i', 'marin', 'm', 'ga', '{"type":"server_vad"}'`;
    await db.sql.unsafe(`insert into agent_configs (${cols}, active) values (${vals}, true)`);
    // A second active row: the partial unique index refuses it.
    await expect(db.sql.unsafe(`insert into agent_configs (${cols}, active) values (${vals}, true)`)).rejects.toThrow(
      /agent_configs_one_active|duplicate/,
    );
    // No active row while rows exist: the deferred trigger refuses the commit.
    await expect(
      db.sql.begin((tx) => tx.unsafe(`update agent_configs set active = false`)),
    ).rejects.toThrow(/exactly one active/);
    // Swapping the active row inside one transaction is fine.
    await db.sql.begin(async (tx) => {
      await tx.unsafe(`update agent_configs set active = false where active`);
      await tx.unsafe(`insert into agent_configs (${cols}, active) values (${vals}, true)`);
    });
    const [n] = await db.sql`select count(*)::int as n from agent_configs where active`;
    expect(n?.n).toBe(1);
  });
});

describe('migrations from two instances at once (postgres)', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await tdb?.drop();
  });

  it('applies each file exactly once under the advisory lock', async () => {
    const a = postgres(tdb.url!, { max: 2, onnotice: () => {} });
    const b = postgres(tdb.url!, { max: 2, onnotice: () => {} });
    try {
      const [ra, rb] = await Promise.all([migrate(a, log), migrate(b, log)]);
      const files = (await readMigrations()).map((f) => f.name);
      expect([...ra, ...rb].sort()).toEqual(files.sort());
      const [n] = await a`select count(*)::int as n from schema_migrations`;
      expect(n?.n).toBe(files.length);
    } finally {
      await a.end();
      await b.end();
    }
  });
});

describe('data directory lock', () => {
  it('refuses a second claim and takes over a stale one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'voxbridge-lock-'));
    try {
      const lock = lockDataDir(dir);
      expect(() => lockDataDir(dir)).toThrow(expect.objectContaining({ code: 'database_locked' }));
      lock.release();
      // A pid that cannot be alive (beyond pid_max) left its lock behind.
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'voxbridge.lock'), '4194399\n');
      const again = lockDataDir(dir);
      again.release();
      // A live process (our parent) holds it: refused, and its lock left alone.
      await writeFile(join(dir, 'voxbridge.lock'), `${process.ppid}\n`);
      expect(() => lockDataDir(dir)).toThrow(new RegExp(`in use by process ${process.ppid}`));
      // Our own pid, but not a lock we hold: a previous process with the same pid (pid 1 in a container) left it.
      await writeFile(join(dir, 'voxbridge.lock'), `${process.pid}\n`);
      const third = lockDataDir(dir);
      expect(() => lockDataDir(dir)).toThrow(/already open in this process/);
      third.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
