import { createHash, timingSafeEqual } from 'node:crypto';
import { bearerToken } from './http.ts';

/**
 * Whether an `Authorization` header carries the admin token. Both sides are hashed first so the comparison is
 * constant-time whatever the lengths (timingSafeEqual needs equal lengths, and an early length check would leak one).
 */
export function isAdmin(authorization: string | undefined, adminToken: string): boolean {
  if (!authorization || !adminToken) return false;
  const given = bearerToken(authorization);
  if (given === undefined) return false;
  return timingSafeEqual(digest(given), digest(adminToken));
}

/** The check as a function of the header alone, for routes that take an `authorize` dependency. */
export function adminAuthorizer(adminToken: string): (authorization: string) => boolean {
  const expected = digest(adminToken);
  return (authorization) => {
    const given = bearerToken(authorization ?? '');
    return given !== undefined && adminToken !== '' && timingSafeEqual(digest(given), expected);
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
