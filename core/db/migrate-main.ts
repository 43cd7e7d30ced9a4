import { loadConfig } from '../config.ts';
import { errorMessage } from '../errors.ts';
import { createLogger } from '../log.ts';
import { openDatabase } from './database.ts';
import { migrate } from './migrate.ts';

/** `npm run migrate`: applies the pending migrations to DATABASE_URL (or the embedded database) and exits. */
const config = loadConfig();
const log = createLogger(config.LOG_LEVEL);
try {
  const db = await openDatabase(config, log);
  try {
    const applied = await migrate(db.sql, log);
    log.info({ applied, database: db.describe }, applied.length ? 'migrations applied' : 'schema up to date');
  } finally {
    await db.close();
  }
} catch (err) {
  log.fatal({ error: errorMessage(err) }, 'migration failed');
  process.exitCode = 1;
}
