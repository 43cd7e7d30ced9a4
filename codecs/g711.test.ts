import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from './g711.ts';

/**
 * Independent reference: sox (libsox's g711.c, derived from Sun's). Vectors are made here, in the test, with `sox -D`
 * (no dither), for all 256 codes and all 65536 sample values.
 */
function sox(args: string[], input: Uint8Array): Uint8Array {
  const r = spawnSync('sox', ['-D', ...args], { input, maxBuffer: 1 << 22 });
  if (r.error) throw new Error(`sox is required for the G.711 reference vectors (apt-get install sox): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`sox failed: ${r.stderr.toString()}`);
  return new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
}

const RAW16 = ['-t', 'raw', '-e', 'signed', '-b', '16', '-c', '1', '-r', '8000', '-L'];
const rawLaw = (law: 'mu-law' | 'a-law') => ['-t', 'raw', '-e', law, '-b', '8', '-c', '1', '-r', '8000'];

function int16LE(bytes: Uint8Array): Int16Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int16Array(bytes.byteLength >> 1);
  for (let i = 0; i < out.length; i++) out[i] = v.getInt16(2 * i, true);
  return out;
}

function bytesLE(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const v = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) v.setInt16(2 * i, samples[i]!, true);
  return out;
}

const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);
const ALL_SAMPLES = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

const laws = [
  { name: 'mu-law', sox: 'mu-law', decode: mulawDecode, encode: mulawEncode, step: 4, negate: true },
  { name: 'A-law', sox: 'a-law', decode: alawDecode, encode: alawEncode, step: 8, negate: false },
] as const;

describe.each(laws)('$name', (law) => {
  it('decodes all 256 codes exactly as sox does', () => {
    const ref = int16LE(sox([...rawLaw(law.sox), '-', ...RAW16, '-'], ALL_CODES));
    expect(Array.from(law.decode(ALL_CODES))).toEqual(Array.from(ref));
  });

  it('encodes all 65536 values as sox does, once sox’s own requantization is applied', () => {
    const ref = sox([...RAW16, '-', ...rawLaw(law.sox), '-'], bytesLE(ALL_SAMPLES));
    expect(ref.length).toBe(65536);
    // sox first rounds to the law's input grid (14 bits for mu-law, 13 for A-law) to nearest, then runs Sun's
    // encoder, which for mu-law negates negative values where G.191 takes the one's complement. G.191 truncates.
    // Applying exactly that requantization to the input and then our G.191 encoder must give sox's code for every
    // value: this exercises every decision threshold of the quantizer against an independent implementation.
    const requantized = ALL_SAMPLES.map((x) => {
      const v = Math.floor((x + law.step / 2) / law.step);
      const s = law.negate && v < 0 ? (v - 1) * law.step : v * law.step;
      return Math.max(-32768, Math.min(32767, s));
    });
    expect(Array.from(law.encode(requantized))).toEqual(Array.from(ref));
    // Where sox does no rounding (non-negative values already on the grid) the two agree directly.
    const enc = law.encode(ALL_SAMPLES);
    for (let x = 0; x < 32768; x += law.step) expect(enc[x + 32768]).toBe(ref[x + 32768]);
  });

  it('is symmetric about -0.5 as G.191 specifies: encode(~x) === encode(x) ^ 0x80', () => {
    const enc = law.encode(ALL_SAMPLES);
    for (let x = 0; x < 32768; x++) expect(enc[~x + 32768]).toBe(enc[x + 32768]! ^ 0x80);
  });

  it('re-encodes every decoded value to its own code (bar mu-law negative zero)', () => {
    const again = law.encode(law.decode(ALL_CODES));
    for (let c = 0; c < 256; c++) {
      if (law.name === 'mu-law' && c === 0x7f) expect(again[c]).toBe(0xff);
      else expect(again[c]).toBe(c);
    }
  });

  it('writes into dst without allocating and agrees between the word and per-sample paths', () => {
    const samples = new Int16Array(4096 + 3);
    for (let i = 0; i < samples.length; i++) samples[i] = Math.round(30000 * Math.sin(i * 0.37) * Math.cos(i * 0.011));
    const whole = law.encode(samples);
    const dst = new Uint8Array(160);
    for (let off = 0; off + 160 <= samples.length; off += 160) {
      expect(law.encode(samples.subarray(off, off + 160), dst)).toBe(dst);
      expect(Array.from(dst)).toEqual(Array.from(whole.subarray(off, off + 160)));
    }
    // Unaligned views fall back to the per-sample path and still agree.
    const odd = new Uint8Array(whole.length + 1);
    odd.set(whole, 1);
    const decoded = law.decode(odd.subarray(1));
    expect(Array.from(decoded)).toEqual(Array.from(law.decode(whole)));
    const pcm = new Int16Array(160);
    expect(law.decode(whole.subarray(0, 160), pcm)).toBe(pcm);
    expect(() => law.decode(whole.subarray(0, 161), pcm)).toThrow(RangeError);
  });
});
