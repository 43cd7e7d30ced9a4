/**
 * Moving 16-bit PCM between the shapes it travels in: base64 text (Twilio and the Realtime API), little-endian bytes
 * (every wire and file format voxbridge speaks), Int16Array (what the codecs compute on) and Float32Array (Web Audio).
 *
 * Byte order is always little-endian on the outside. On a little-endian host (x86, ARM as run) bytes and Int16Array
 * are the same memory, so the conversions are views, not copies, whenever the alignment allows; anywhere else they
 * copy through a DataView with the byte order spelled out.
 */
import { Buffer } from 'node:buffer';
import { CodecError } from './errors.ts';

export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes that a base64 string decodes to, without decoding it (padding-aware; no whitespace expected). */
export function decodedLength(b64: string): number {
  const n = b64.length;
  if (n === 0) return 0;
  const pad = b64.charCodeAt(n - 1) === 61 ? (b64.charCodeAt(n - 2) === 61 ? 2 : 1) : 0;
  return Math.floor((n * 3) / 4) - pad;
}

/** A Buffer over the same memory (no copy); a Buffer passed in is used as is. */
export function asBuffer(bytes: Uint8Array | Int16Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes base64. With `dst` the bytes are written straight into it (pass a Buffer, e.g. from
 * `Buffer.allocUnsafeSlow`, and nothing at all is allocated); the result is `dst` or a view of its first bytes.
 */
export function base64ToBytes(b64: string, dst?: Uint8Array): Uint8Array {
  if (dst === undefined) return Buffer.from(b64, 'base64');
  const need = decodedLength(b64);
  if (dst.length < need) throw new RangeError(`dst holds ${dst.length} bytes, ${need} needed`);
  const n = asBuffer(dst).write(b64, 'base64');
  return n === dst.length ? dst : dst.subarray(0, n);
}

/** Encodes bytes, or the little-endian bytes of samples, as base64 (reads the memory in place). */
export function bytesToBase64(data: Uint8Array | Int16Array): string {
  return asBuffer(data instanceof Int16Array ? int16ToBytesLE(data) : data).toString('base64');
}

/** Little-endian 16-bit samples from base64. With `dst`, decoded straight into it on a little-endian host. */
export function base64ToInt16(b64: string, dst?: Int16Array): Int16Array {
  const bytes = decodedLength(b64);
  if (bytes & 1) throw new CodecError('pcm_odd_length', `base64 PCM16 holds ${bytes} bytes, not whole samples`);
  if (dst !== undefined && HOST_LITTLE_ENDIAN) {
    const n = bytes >> 1;
    if (dst.length < n) throw new RangeError(`dst holds ${dst.length} samples, ${n} needed`);
    asBuffer(dst).write(b64, 'base64');
    return n === dst.length ? dst : dst.subarray(0, n);
  }
  return int16FromBytesLE(Buffer.from(b64, 'base64'), dst);
}

/**
 * Little-endian bytes as samples. Without `dst`: a view of the same memory when the host is little-endian and the
 * bytes start at an even offset (Node's pooled Buffers do), else a copy. With `dst`: copied into it.
 */
export function int16FromBytesLE(bytes: Uint8Array, dst?: Int16Array): Int16Array {
  if (bytes.byteLength & 1) {
    throw new CodecError('pcm_odd_length', `PCM16 data holds ${bytes.byteLength} bytes, not whole samples`);
  }
  const n = bytes.byteLength >> 1;
  if (dst === undefined && HOST_LITTLE_ENDIAN && (bytes.byteOffset & 1) === 0) {
    return new Int16Array(bytes.buffer, bytes.byteOffset, n);
  }
  const out = dst ?? new Int16Array(n);
  if (out.length < n) throw new RangeError(`dst holds ${out.length} samples, ${n} needed`);
  if (HOST_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer, out.byteOffset, n * 2).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true);
  }
  return out.length === n ? out : out.subarray(0, n);
}

/** Samples as little-endian bytes: the same memory on a little-endian host, a byte-swapped copy elsewhere. */
export function int16ToBytesLE(samples: Int16Array): Uint8Array {
  if (HOST_LITTLE_ENDIAN) return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  const out = new Uint8Array(samples.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(2 * i, samples[i]!, true);
  return out;
}

/**
 * Web Audio floats (nominally -1 … 1) to 16-bit, scaled by 32768 and rounded, clipped to -32768 … 32767; NaN
 * becomes 0. The 32768 scale makes `int16ToFloat32` followed by this the identity for every 16-bit value.
 */
export function float32ToInt16(src: Float32Array, dst?: Int16Array): Int16Array {
  const n = src.length;
  const out = dst ?? new Int16Array(n);
  if (out.length < n) throw new RangeError(`dst holds ${out.length} samples, ${n} needed`);
  for (let i = 0; i < n; i++) {
    const v = Math.round(src[i]! * 32768);
    // NaN fails both comparisons and lands on the `| 0`, which makes it 0.
    out[i] = v >= 32767 ? 32767 : v <= -32768 ? -32768 : v | 0;
  }
  return out.length === n ? out : out.subarray(0, n);
}

/** 16-bit to Web Audio floats in -1 … 1 (x / 32768, exact in float32). */
export function int16ToFloat32(src: Int16Array, dst?: Float32Array): Float32Array {
  const n = src.length;
  const out = dst ?? new Float32Array(n);
  if (out.length < n) throw new RangeError(`dst holds ${out.length} samples, ${n} needed`);
  for (let i = 0; i < n; i++) out[i] = src[i]! / 32768;
  return out.length === n ? out : out.subarray(0, n);
}
