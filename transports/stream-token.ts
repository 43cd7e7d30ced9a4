import { createHmac } from 'node:crypto';
import { safeEqual } from './twilio-signature.ts';

/**
 * The short-lived token `/twiml` puts in the stream's `<Parameter name="token">`: it proves a media stream was started
 * by a TwiML answer we signed, for this call, recently. HMAC-SHA256 over `callSid.expiry` with a key derived from the
 * Twilio auth token, so every instance behind a load balancer accepts the others' tokens.
 */
export function streamTokenKey(authToken: string): Buffer {
  return createHmac('sha256', authToken).update('voxbridge stream token v1').digest();
}

export function makeStreamToken(key: Buffer, callSid: string, ttlSeconds: number, nowMs = Date.now()): string {
  const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
  const body = `${callSid}.${expiry}`;
  return `${expiry}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

/** Returns undefined when the token is good for this call, else why not. */
export function checkStreamToken(key: Buffer, token: string | undefined, callSid: string, nowMs = Date.now()): string | undefined {
  if (!token) return 'missing stream token';
  const dot = token.indexOf('.');
  const expiry = Number(token.slice(0, dot));
  if (dot < 1 || !Number.isInteger(expiry)) return 'malformed stream token';
  if (expiry < Math.floor(nowMs / 1000)) return 'expired stream token';
  const expected = createHmac('sha256', key).update(`${callSid}.${expiry}`).digest('base64url');
  return safeEqual(token.slice(dot + 1), expected) ? undefined : 'bad stream token';
}

/**
 * Tokens already spent on this instance, kept until they expire: a token starts one stream, once. (The upgrade's
 * X-Twilio-Signature covers only the fixed `wss://…/call` URL, so it cannot stop a replay; the token can.)
 * Per instance: a replay aimed at another instance within the token's TTL still finds the CallSid live there only
 * if the gateway also refuses a second stream for a live call, which it does.
 */
export class SpentTokens {
  #spent = new Map<string, number>();

  constructor(private readonly max = 100_000) {}

  /** Marks the token spent; false when it already was. */
  spend(token: string, nowMs = Date.now()): boolean {
    if (this.#spent.has(token)) return false;
    if (this.#spent.size >= this.max) this.#sweep(nowMs);
    if (this.#spent.size >= this.max) {
      const oldest = this.#spent.keys().next().value;
      if (oldest !== undefined) this.#spent.delete(oldest);
    }
    this.#spent.set(token, Number(token.slice(0, token.indexOf('.'))) * 1000);
    return true;
  }

  #sweep(nowMs: number): void {
    for (const [token, expiresAt] of this.#spent) if (expiresAt < nowMs) this.#spent.delete(token);
  }
}
