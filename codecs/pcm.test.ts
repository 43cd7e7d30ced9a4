import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { CodecError } from './errors.ts';
import {
  base64ToBytes,
  base64ToInt16,
  bytesToBase64,
  decodedLength,
  float32ToInt16,
  int16FromBytesLE,
  int16ToBytesLE,
  int16ToFloat32,
} from './pcm.ts';

const ALL = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

describe('pcm', () => {
  it('round-trips every 16-bit value through base64, little-endian on the wire', () => {
    const b64 = bytesToBase64(ALL);
    const bytes = Buffer.from(b64, 'base64');
    expect(bytes.readInt16LE(0)).toBe(-32768);
    expect(bytes.readInt16LE(2 * 40000)).toBe(40000 - 32768);
    expect(Array.from(base64ToInt16(b64))).toEqual(Array.from(ALL));
  });

  it('decodes base64 straight into a caller buffer', () => {
    const frame = ALL.subarray(30000, 30160);
    const b64 = bytesToBase64(frame);
    expect(decodedLength(b64)).toBe(320);
    const dst = new Int16Array(160);
    expect(base64ToInt16(b64, dst)).toBe(dst);
    expect(Array.from(dst)).toEqual(Array.from(frame));
    const scratch = Buffer.allocUnsafeSlow(400);
    const view = base64ToBytes(b64, scratch);
    expect(view.length).toBe(320);
    expect(view.buffer).toBe(scratch.buffer);
    expect(() => base64ToBytes(b64, new Uint8Array(100))).toThrow(RangeError);
    for (const s of ['', 'AA==', 'AAA=', 'AAAA']) expect(decodedLength(s)).toBe(Buffer.from(s, 'base64').length);
  });

  it('views instead of copying when aligned, copies when not', () => {
    const bytes = int16ToBytesLE(ALL);
    expect(bytes.buffer).toBe(ALL.buffer);
    const aligned = int16FromBytesLE(bytes.subarray(2, 10));
    expect(aligned.buffer).toBe(ALL.buffer);
    const odd = new Uint8Array(11);
    odd.set(bytes.subarray(0, 10), 1);
    const copied = int16FromBytesLE(odd.subarray(1));
    expect(copied.buffer).not.toBe(odd.buffer);
    expect(Array.from(copied)).toEqual(Array.from(ALL.subarray(0, 5)));
  });

  it('rejects PCM16 with half a sample', () => {
    expect(() => int16FromBytesLE(new Uint8Array(3))).toThrow(CodecError);
    expect(() => base64ToInt16('AAAA')).toThrow(expect.objectContaining({ code: 'pcm_odd_length' }));
  });

  it('float ↔ int16 is exact for every 16-bit value and clips outside -1 … 1', () => {
    const f = int16ToFloat32(ALL);
    expect(f[0]).toBe(-1);
    expect(Array.from(float32ToInt16(f))).toEqual(Array.from(ALL));
    const wild = Float32Array.from([1, 1.5, -1, -7, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.5, -0.5]);
    expect(Array.from(float32ToInt16(wild))).toEqual([32767, 32767, -32768, -32768, 0, 32767, -32768, 16384, -16384]);
    const dst = new Int16Array(9);
    expect(float32ToInt16(wild, dst)).toBe(dst);
  });
});
