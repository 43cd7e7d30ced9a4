import { mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
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
      return {
        path,
        release() {
          if (readOwner(path) === pid) unlinkSync(path);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readOwner(path);
      if (owner !== undefined && isAlive(owner)) {
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
