import { describe, expect, it } from 'vitest';
import { PCMU_8K } from '../core/audio-format.ts';
import { createLogger } from '../core/log.ts';
import { TwilioLeg } from './twilio-leg.ts';

/** A Twilio leg whose socket is an array of the frames it wrote. */
function leg() {
  const out: Array<Record<string, unknown>> = [];
  const l = new TwilioLeg({ log: createLogger('silent'), send: (t) => {
      out.push(JSON.parse(t));
      return true;
    }, end: () => {} });
  l.onMessage(JSON.stringify({ event: 'connected' }));
  l.onMessage(JSON.stringify({ event: 'start', streamSid: 'MZ1', start: { streamSid: 'MZ1', callSid: 'CA1', customParameters: { from: '+1555' } } }));
  return { l, out };
}

const chunk = (bytes: number, itemId: string, fill = 1) => ({ format: PCMU_8K, wire: Buffer.alloc(bytes, fill).toString('base64'), at: 0, itemId });
const media = (out: Array<Record<string, unknown>>) => out.filter((m) => m.event === 'media').map((m) => Buffer.from((m.media as { payload: string }).payload, 'base64'));

describe('TwilioLeg outbound framing', () => {
  it('relays whole-frame deltas as they are and follows each with an item@ms mark', () => {
    const { l, out } = leg();
    l.sendAudio(chunk(800, 'it1'));
    expect(out.map((m) => m.event)).toEqual(['media', 'mark']);
    expect(out[0]!.streamSid).toBe('MZ1');
    expect((out[1]!.mark as { name: string }).name).toBe('it1@100');
  });

  it('holds back unaligned audio until it makes whole 20 ms frames, and flushes the rest evenly at the end', () => {
    const { l, out } = leg();
    l.sendAudio(chunk(100, 'it1', 1));
    expect(out).toHaveLength(0);
    l.sendAudio(chunk(250, 'it1', 2)); // 350 held → 320 out, 30 held
    l.sendAudio(chunk(5, 'it1', 3)); // 35 held
    l.audioDone('it1'); // 35 → padded to 36
    const sizes = media(out).map((b) => b.byteLength);
    expect(sizes).toEqual([320, 36]);
    expect(sizes.every((n) => n % 2 === 0)).toBe(true);
    const all = Buffer.concat(media(out));
    expect(all.subarray(0, 355)).toEqual(Buffer.concat([Buffer.alloc(100, 1), Buffer.alloc(250, 2), Buffer.alloc(5, 3)]));
    expect(all[355]).toBe(0xff); // mu-law silence pad
    const marks = out.filter((m) => m.event === 'mark').map((m) => (m.mark as { name: string }).name);
    expect(marks).toEqual(['it1@40', 'it1@44.5']);
  });

  it('on interrupt sends clear, reports what was heard, and drops the item still in flight', () => {
    const { l, out } = leg();
    const t0 = performance.now();
    l.sendAudio(chunk(1600, 'it1')); // 200 ms
    const heard = l.interrupt(t0 + 50);
    expect(heard?.itemId).toBe('it1');
    expect(heard!.heardMs).toBeGreaterThanOrEqual(49);
    expect(heard!.heardMs).toBeLessThanOrEqual(200);
    expect(out.at(-1)).toEqual({ event: 'clear', streamSid: 'MZ1' });
    const before = out.length;
    l.sendAudio(chunk(160, 'it1'));
    expect(out.length).toBe(before); // stale audio of the interrupted item is dropped
    expect(l.counters.dropped).toBe(1);
    l.sendAudio(chunk(160, 'it2'));
    expect(out.length).toBe(before + 2); // the next item plays
  });

  it('does not send clear when nothing is playing', () => {
    const { l, out } = leg();
    expect(l.interrupt(performance.now())).toBeUndefined();
    expect(out).toHaveLength(0);
  });
});

describe('TwilioLeg inbound', () => {
  it('relays media as the base64 text it came in, and counts what does not fit', () => {
    const { l } = leg();
    const got: string[] = [];
    l.onAudio = (c) => got.push(c.wire!);
    const payload = Buffer.alloc(160, 7).toString('base64');
    l.onMessage(JSON.stringify({ event: 'media', streamSid: 'MZ1', media: { track: 'inbound', chunk: '1', timestamp: '20', payload } }));
    expect(got).toEqual([payload]);
    const bad = [
      'not json',
      '[]',
      '{"event":"nope"}',
      '{"event":"media","media":{"payload":"***"}}',
      '{"event":"mark"}',
      '{"event":"dtmf","dtmf":{"digit":"55"}}',
      // Names of Object.prototype members are unknown events, not functions to call.
      '{"event":"__proto__"}',
      '{"event":"hasOwnProperty"}',
      '{"event":"constructor"}',
      '{"event":"valueOf"}',
    ];
    for (const text of bad) expect(() => l.onMessage(text)).not.toThrow();
    expect(l.counters.invalid).toBe(bad.length);
    expect(got).toHaveLength(1);
  });

  it('emits dtmf digits and closes on stop', () => {
    const { l } = leg();
    const digits: string[] = [];
    let closed = '';
    l.events.on('dtmf', (d) => digits.push(d));
    l.events.on('closed', (r) => {
      closed = r;
    });
    l.onMessage(JSON.stringify({ event: 'dtmf', streamSid: 'MZ1', dtmf: { track: 'inbound_track', digit: '5' } }));
    l.onMessage(JSON.stringify({ event: 'stop', streamSid: 'MZ1', stop: { callSid: 'CA1' } }));
    expect(digits).toEqual(['5']);
    expect(closed).toBe('caller hung up');
  });

  it('refuses a start that fails authorization, before any audio flows', () => {
    let ended = false;
    const l = new TwilioLeg({ log: createLogger('silent'), send: () => true, end: () => (ended = true), authorize: () => 'bad stream token' });
    let started = false;
    l.events.on('start', () => (started = true));
    l.onMessage(JSON.stringify({ event: 'start', streamSid: 'MZ1', start: { streamSid: 'MZ1', callSid: 'CA1' } }));
    expect(started).toBe(false);
    expect(ended).toBe(true);
  });
});
