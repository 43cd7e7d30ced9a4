import { createHmac, timingSafeEqual } from 'node:crypto';
// The deep import loads in ~100 ms; the whole twilio package takes ~300 ms.
import webhooks from 'twilio/lib/webhooks/webhooks.js';

/**
 * `X-Twilio-Signature` checks (PROTOCOLS.md): base64(HMAC-SHA1(auth token, URL + sorted POST params)). The URL must be
 * the one Twilio called, so it is rebuilt from PUBLIC_URL when set (proxies rewrite scheme and host).
 */
export function validTwilioSignature(authToken: string, signature: string, url: string, params: Record<string, string>): boolean {
  if (!signature) return false;
  return webhooks.validateRequest(authToken, signature, url, params);
}

/** Computes a signature as Twilio would (for the Twilio caller and tests). */
export function twilioSignature(authToken: string, url: string, params: Record<string, string> = {}): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, k) => acc + k + params[k], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

/**
 * The public URL of a path: PUBLIC_URL's scheme and host when set; else the request's Host header, secure when a
 * proxy in front says the request came over TLS (`X-Forwarded-Proto: https`), as Twilio only streams to `wss://`.
 */
export function publicUrl(
  publicBase: string | undefined,
  host: string,
  path: string,
  query: string,
  scheme: 'http' | 'ws',
  forwardedProto = '',
): string {
  let secure = forwardedProto.split(',')[0]?.trim() === 'https';
  let authority = host;
  if (publicBase) {
    const u = new URL(publicBase);
    secure = u.protocol === 'https:' || u.protocol === 'wss:';
    // A gateway behind a path prefix (`https://example.com/voxbridge`) keeps it: Twilio signs the URL it called.
    authority = `${u.host}${u.pathname.replace(/\/+$/, '')}`;
  }
  const proto = scheme === 'ws' ? (secure ? 'wss' : 'ws') : secure ? 'https' : 'http';
  return `${proto}://${authority}${path}${query ? `?${query}` : ''}`;
}

export function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
