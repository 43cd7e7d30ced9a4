import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateAdminToken } from './admin-token.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('admin token file', () => {
  it('is made once with owner-only permissions and read back on the next start', () => {
    dir = mkdtempSync(join(tmpdir(), 'vb-token-'));
    const first = loadOrCreateAdminToken(join(dir, 'data'));
    expect(first.created).toBe(true);
    expect(first.token.length).toBeGreaterThanOrEqual(32);
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    const again = loadOrCreateAdminToken(join(dir, 'data'));
    expect(again).toEqual({ ...first, created: false });
  });
});
