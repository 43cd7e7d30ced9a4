import { describe, expect, it } from 'vitest';
import { checkStreamToken, makeStreamToken, streamTokenKey } from './stream-token.ts';
import { twilioSignature, validTwilioSignature } from './twilio-signature.ts';

describe('stream token', () => {
  const key = streamTokenKey('auth-token');
  it('accepts a fresh token for its own call only', () => {
    const token = makeStreamToken(key, 'CA1', 60, 1_000_000);
    expect(checkStreamToken(key, token, 'CA1', 1_000_000)).toBeUndefined();
    expect(checkStreamToken(key, token, 'CA2', 1_000_000)).toBe('bad stream token');
    expect(checkStreamToken(streamTokenKey('other'), token, 'CA1', 1_000_000)).toBe('bad stream token');
  });
  it('refuses expired, missing and malformed tokens', () => {
    const token = makeStreamToken(key, 'CA1', 60, 1_000_000);
    expect(checkStreamToken(key, token, 'CA1', 1_000_000 + 61_000)).toBe('expired stream token');
    expect(checkStreamToken(key, undefined, 'CA1')).toBe('missing stream token');
    expect(checkStreamToken(key, 'garbage', 'CA1')).toBe('malformed stream token');
    expect(checkStreamToken(key, `${token.split('.')[0]}.AAAA`, 'CA1', 1_000_000)).toBe('bad stream token');
  });
});

describe('Twilio signature', () => {
  it('matches the twilio library on the documented example', () => {
    // Twilio's documented example: https://www.twilio.com/docs/usage/security#validating-requests
    const params = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' };
    const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
    const sig = twilioSignature('12345', url, params);
    expect(sig).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
    expect(validTwilioSignature('12345', sig, url, params)).toBe(true);
    expect(validTwilioSignature('12345', sig, url, { ...params, Digits: '9' })).toBe(false);
    expect(validTwilioSignature('12345', '', url, params)).toBe(false);
  });
});

describe('public URL', () => {
  it('uses PUBLIC_URL when set, else the Host header, secure behind a TLS proxy', async () => {
    const { publicUrl } = await import('./twilio-signature.ts');
    expect(publicUrl('https://voice.example.com', 'internal:8081', '/call', '', 'ws')).toBe('wss://voice.example.com/call');
    expect(publicUrl(undefined, 'h:1', '/twiml', 'a=1', 'http')).toBe('http://h:1/twiml?a=1');
    expect(publicUrl(undefined, 'h:1', '/call', '', 'ws', 'https')).toBe('wss://h:1/call');
    expect(publicUrl('https://example.com/voxbridge/', 'internal', '/twiml', '', 'http')).toBe('https://example.com/voxbridge/twiml');
  });
});

describe('spent tokens', () => {
  it('lets a token start one stream only', async () => {
    const { SpentTokens } = await import('./stream-token.ts');
    const key = streamTokenKey('auth-token');
    const spent = new SpentTokens(2);
    const a = makeStreamToken(key, 'CA1', 60, 1_000_000);
    const b = makeStreamToken(key, 'CA2', 60, 1_000_000);
    expect(spent.spend(a, 1_000_000)).toBe(true);
    expect(spent.spend(a, 1_000_000)).toBe(false);
    expect(spent.spend(b, 1_000_000)).toBe(true);
    // Past its bound, expired tokens are swept first.
    const c = makeStreamToken(key, 'CA3', 60, 2_000_000);
    expect(spent.spend(c, 2_000_000)).toBe(true);
    expect(spent.spend(c, 2_000_000)).toBe(false);
  });
});
