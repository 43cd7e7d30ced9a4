/**
 * The wire format between `pool.ts` and `pool-worker.ts`: a whole batch (every stream's state and frames) packed into
 * one ArrayBuffer, and the results into another. One buffer is one transfer (`Piscina.move`), with no structured
 * clone of per-frame objects, which is what a hop's main-thread cost is mostly made of.
 *
 * Layout of both buffers: an Int32 header, then 8-byte aligned regions (Float64 stream states, frame bytes).
 *   request header:  [streams, then per stream: formatKey, stateOffset, stateLength, frames,
 *                     then per frame: byteOffset, byteLength]
 *   result header:   [streams, then per stream: per frame: byteOffset, byteLength,
 *                     then stateOffset, stateLength]
 * Frame bytes are G.711 codes, or 16-bit samples in host byte order (both ends are the same process).
 */
import type { AudioFormat, Codec, SampleRate } from '../core/audio-format.ts';
import type { ResampleQuality } from './resample.ts';
import type { AudioData } from './transcode.ts';

const CODECS: readonly Codec[] = ['pcmu', 'pcma', 'pcm16'];
const RATES: readonly SampleRate[] = [8000, 16000, 24000, 48000];
const QUALITIES: readonly ResampleQuality[] = ['voice', 'high'];

export interface StreamKind {
  readonly from: AudioFormat;
  readonly to: AudioFormat;
  readonly quality: ResampleQuality;
}

/** (from, to, quality) as one small integer. */
export function kindKey(kind: StreamKind): number {
  const f = CODECS.indexOf(kind.from.codec) * 4 + RATES.indexOf(kind.from.rate);
  const t = CODECS.indexOf(kind.to.codec) * 4 + RATES.indexOf(kind.to.rate);
  return (f * 12 + t) * 2 + QUALITIES.indexOf(kind.quality);
}

export function kindOf(key: number): StreamKind {
  const quality = QUALITIES[key % 2]!;
  const pair = Math.floor(key / 2);
  const f = Math.floor(pair / 12);
  const t = pair % 12;
  return {
    from: { codec: CODECS[Math.floor(f / 4)]!, rate: RATES[f % 4]! },
    to: { codec: CODECS[Math.floor(t / 4)]!, rate: RATES[t % 4]! },
    quality,
  };
}

export interface StreamWork {
  readonly key: number;
  readonly state: Float64Array;
  readonly frames: readonly AudioData[];
}

const align8 = (n: number) => (n + 7) & ~7;

/** The bytes under any typed array. */
const bytesOf = (d: ArrayBufferView) => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

export function packRequest(streams: readonly StreamWork[]): Uint8Array {
  let headerInts = 1;
  let body = 0;
  for (const s of streams) {
    headerInts += 4 + 2 * s.frames.length;
    body += align8(s.state.byteLength);
    for (const f of s.frames) body += align8(f.byteLength);
  }
  const headerBytes = align8(headerInts * 4);
  const buf = new ArrayBuffer(headerBytes + body);
  const header = new Int32Array(buf, 0, headerInts);
  const bytes = new Uint8Array(buf);
  let h = 0;
  let at = headerBytes;
  header[h++] = streams.length;
  for (const s of streams) {
    header[h++] = s.key;
    header[h++] = at;
    header[h++] = s.state.length;
    header[h++] = s.frames.length;
    bytes.set(bytesOf(s.state), at);
    at += align8(s.state.byteLength);
    for (const f of s.frames) {
      header[h++] = at;
      header[h++] = f.byteLength;
      bytes.set(bytesOf(f), at);
      at += align8(f.byteLength);
    }
  }
  return bytes;
}

export interface UnpackedStream {
  readonly key: number;
  readonly state: Float64Array;
  readonly frames: AudioData[];
}

/** Views into the request buffer (no copies). */
export function unpackRequest(bytes: Uint8Array): UnpackedStream[] {
  const buf = bytes.buffer;
  const base = bytes.byteOffset;
  const ints = new Int32Array(buf, base, bytes.byteLength >> 2); // the buffer is 8-byte aligned throughout
  let h = 0;
  const count = ints[h++]!;
  const out: UnpackedStream[] = [];
  for (let i = 0; i < count; i++) {
    const key = ints[h++]!;
    const stateAt = ints[h++]!;
    const stateLength = ints[h++]!;
    const frameCount = ints[h++]!;
    const fromCodec = kindOf(key).from.codec;
    const frames: AudioData[] = [];
    for (let j = 0; j < frameCount; j++) {
      const at = ints[h++]!;
      const length = ints[h++]!;
      frames.push(fromCodec === 'pcm16' ? new Int16Array(buf, base + at, length >> 1) : new Uint8Array(buf, base + at, length));
    }
    out.push({ key, state: new Float64Array(buf, base + stateAt, stateLength), frames });
  }
  return out;
}

export interface StreamResult {
  readonly state: Float64Array;
  readonly outputs: AudioData[];
}

/** Builds the result buffer; `outputs` are copied in, so they may be a transcoder's reused buffers. */
export class ResultWriter {
  readonly #buf: ArrayBuffer;
  readonly #header: Int32Array;
  readonly #bytes: Uint8Array;
  #h = 0;
  #at: number;

  /** `maxBody`: an upper bound on the total of align8(state bytes) and align8(output bytes). */
  constructor(headerInts: number, maxBody: number) {
    const headerBytes = align8(headerInts * 4);
    this.#buf = new ArrayBuffer(headerBytes + maxBody);
    this.#header = new Int32Array(this.#buf, 0, headerInts);
    this.#bytes = new Uint8Array(this.#buf);
    this.#at = headerBytes;
  }

  int(v: number): void {
    this.#header[this.#h++] = v;
  }

  /** Appends a region and records its offset and length (elements for states, bytes for audio). */
  region(data: Float64Array | AudioData): void {
    this.int(this.#at);
    this.int(data instanceof Float64Array ? data.length : data.byteLength);
    this.#bytes.set(bytesOf(data), this.#at);
    this.#at += align8(data.byteLength);
  }

  finish(): Uint8Array {
    return new Uint8Array(this.#buf, 0, this.#at);
  }
}

/** Views into the result buffer, which the caller then owns. */
export function unpackResult(bytes: Uint8Array, kinds: readonly StreamKind[], frameCounts: readonly number[]): StreamResult[] {
  const buf = bytes.buffer;
  const base = bytes.byteOffset;
  const ints = new Int32Array(buf, base, 1 + kinds.length * 2 + frameCounts.reduce((a, b) => a + 2 * b, 0));
  let h = 1;
  return kinds.map((kind, i) => {
    const outputs: AudioData[] = [];
    for (let j = 0; j < frameCounts[i]!; j++) {
      const at = ints[h++]!;
      const length = ints[h++]!;
      outputs.push(kind.to.codec === 'pcm16' ? new Int16Array(buf, base + at, length >> 1) : new Uint8Array(buf, base + at, length));
    }
    const stateAt = ints[h++]!;
    const stateLength = ints[h++]!;
    return { state: new Float64Array(buf, base + stateAt, stateLength), outputs };
  });
}
