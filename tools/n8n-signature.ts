import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying the body's signature; an n8n workflow checks it with a Crypto node (HMAC, SHA256, hex). */
export const SIGNATURE_HEADER = 'x-voxbridge-signature';

/** `sha256=<hex HMAC-SHA256 of the exact body bytes>` (GitHub's webhook convention, easy to check in n8n). */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time check of a signature header against the body, for receivers (and the test stand-in). */
export function verifySignature(secret: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
