import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StorageError } from '../errors.ts';

/**
 * An exclusive claim on an embedded data directory: PGlite is one backend in one process, and two processes writing
 * the same files would corrupt them. The lock is a file holding the owner's pid, created with O_EXCL; a lock whose pid
 * is no longer alive (a crash, kill -9) is stale and taken over.
 */
export interface DataDirLock {
  readonly path: string;
  release(): void;
}

export const LOCK_FILE = 'voxbridge.lock';

/**
 * Lock files this process holds. A lock naming our own pid that is not in here was left by an earlier process that
 * had the same pid — the usual case in a container, where the gateway is pid 1 on every start — and is stale.
 */
const held = new Set<string>();

export function lockDataDir(dir: string, pid = process.pid): DataDirLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  // Two rounds at most: the second follows the removal of a stale lock. If another process takes it over in between,
  // O_EXCL makes exactly one of us win.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      held.add(path);
      return {
        path,
        release() {
          if (!held.delete(path)) return;
          if (readOwner(path) === pid) unlinkSync(path);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (held.has(path)) throw new StorageError('database_locked', `data directory ${dir} is already open in this process`);
      const owner = readOwner(path);
      // Our own pid on a lock we do not hold: an earlier process with this pid left it.
      if (owner !== undefined && owner !== pid && isAlive(owner)) {
        throw new StorageError('database_locked', `data directory ${dir} is in use by process ${owner}`);
      }
      try {
        unlinkSync(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  }
  throw new StorageError('database_locked', `data directory ${dir} is being claimed by another process`);
}

function readOwner(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else — alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
