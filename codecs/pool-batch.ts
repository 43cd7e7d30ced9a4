/**
 * The wire format between `pool.ts` and `pool-worker.ts`: a whole batch (every stream's state and frames) packed into
 * one ArrayBuffer, and the results into another. One buffer is one transfer (`Piscina.move`), with no structured
 * clone of per-frame objects; states are written and read in place, so packing allocates nothing per stream.
 *
 * Layout of both buffers: an Int32 header, then 8-byte aligned regions (Float64 stream states, frame bytes).
 *   request header:  [streams, then per stream: kindKey, stateOffset, stateLength, frames,
 *                     then per frame: byteOffset, byteLength]
 *   result header:   [streams, then per stream: per frame: byteOffset, byteLength,
 *                     then stateOffset, stateLength]
 * Offsets are in bytes, state lengths in numbers. Frame bytes are G.711 codes, or 16-bit samples in host byte order
 * (both ends are the same process).
 */
import type { AudioFormat, Codec, SampleRate } from '../core/audio-format.ts';
import type { ResampleQuality } from './resample.ts';
import type { AudioData, Transcoder } from './transcode.ts';

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

type StateSource = Pick<Transcoder, 'stateLength' | 'exportState'>;

export interface StreamWork {
  readonly key: number;
  /** Its state is written straight into the request. */
  readonly state: StateSource;
  readonly frames: readonly AudioData[];
}

const align8 = (n: number) => (n + 7) & ~7;

export function packRequest(streams: readonly StreamWork[]): Uint8Array {
  let headerInts = 1;
  let body = 0;
  for (const s of streams) {
    headerInts += 4 + 2 * s.frames.length;
    body += 8 * s.state.stateLength();
    for (const f of s.frames) body += align8(f.byteLength);
  }
  const headerBytes = align8(headerInts * 4);
  const buf = new ArrayBuffer(headerBytes + body);
  const header = new Int32Array(buf, 0, headerInts);
  const bytes = new Uint8Array(buf);
  const numbers = new Float64Array(buf);
  let h = 0;
  let at = headerBytes;
  header[h++] = streams.length;
  for (const s of streams) {
    const length = s.state.stateLength();
    header[h++] = s.key;
    header[h++] = at;
    header[h++] = length;
    header[h++] = s.frames.length;
    s.state.exportState(numbers, at >> 3);
    at += 8 * length;
    for (const f of s.frames) {
      header[h++] = at;
      header[h++] = f.byteLength;
      bytes.set(new Uint8Array(f.buffer, f.byteOffset, f.byteLength), at);
      at += align8(f.byteLength);
    }
  }
  return bytes;
}

export interface UnpackedStream {
  readonly key: number;
  /** The state is `numbers[stateAt … stateAt + stateLength)`. */
  readonly stateAt: number;
  readonly stateLength: number;
  readonly frames: AudioData[];
}

/** Views into the request buffer (no copies). The buffer must start 8-byte aligned, as `packRequest` makes it. */
export function unpackRequest(bytes: Uint8Array): { numbers: Float64Array; streams: UnpackedStream[] } {
  const buf = bytes.buffer;
  const base = bytes.byteOffset;
  const ints = new Int32Array(buf, base, bytes.byteLength >> 2);
  const numbers = new Float64Array(buf, base, bytes.byteLength >> 3);
  let h = 0;
  const count = ints[h++]!;
  const streams: UnpackedStream[] = [];
  for (let i = 0; i < count; i++) {
    const key = ints[h++]!;
    const stateAt = ints[h++]! >> 3;
    const stateLength = ints[h++]!;
    const frameCount = ints[h++]!;
    const pcm = kindOf(key).from.codec === 'pcm16';
    const frames: AudioData[] = [];
    for (let j = 0; j < frameCount; j++) {
      const at = ints[h++]!;
      const length = ints[h++]!;
      frames.push(pcm ? new Int16Array(buf, base + at, length >> 1) : new Uint8Array(buf, base + at, length));
    }
    streams.push({ key, stateAt, stateLength, frames });
  }
  return { numbers, streams };
}

/** Builds the result buffer; audio is copied in, so it may be a transcoder's reused buffer. */
export class ResultWriter {
  readonly #header: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #numbers: Float64Array;
  #h = 0;
  #at: number;

  /** `maxBody`: an upper bound on the bytes of all regions (8-byte aligned each). */
  constructor(headerInts: number, maxBody: number) {
    const headerBytes = align8(headerInts * 4);
    const buf = new ArrayBuffer(headerBytes + align8(maxBody));
    this.#header = new Int32Array(buf, 0, headerInts);
    this.#bytes = new Uint8Array(buf);
    this.#numbers = new Float64Array(buf);
    this.#at = headerBytes;
  }

  int(v: number): void {
    this.#header[this.#h++] = v;
  }

  audio(data: AudioData): void {
    this.int(this.#at);
    this.int(data.byteLength);
    this.#bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), this.#at);
    this.#at += align8(data.byteLength);
  }

  state(source: StateSource): void {
    const length = source.stateLength();
    this.int(this.#at);
    this.int(length);
    source.exportState(this.#numbers, this.#at >> 3);
    this.#at += 8 * length;
  }

  finish(): Uint8Array {
    return this.#bytes.subarray(0, this.#at);
  }
}

export interface StreamResult {
  /** The state is `numbers[stateAt … stateAt + stateLength)`. */
  readonly stateAt: number;
  readonly stateLength: number;
  /** Views into the result buffer, which the caller then owns. */
  readonly outputs: AudioData[];
}

export function unpackResult(
  bytes: Uint8Array,
  kinds: readonly StreamKind[],
  frameCounts: readonly number[],
): { numbers: Float64Array; results: StreamResult[] } {
  const buf = bytes.buffer;
  const base = bytes.byteOffset;
  const ints = new Int32Array(buf, base, bytes.byteLength >> 2);
  const numbers = new Float64Array(buf, base, bytes.byteLength >> 3);
  let h = 1;
  const results = kinds.map((kind, i): StreamResult => {
    const pcm = kind.to.codec === 'pcm16';
    const outputs: AudioData[] = [];
    for (let j = 0; j < frameCounts[i]!; j++) {
      const at = ints[h++]!;
      const length = ints[h++]!;
      outputs.push(pcm ? new Int16Array(buf, base + at, length >> 1) : new Uint8Array(buf, base + at, length));
    }
    const stateAt = ints[h++]! >> 3;
    const stateLength = ints[h++]!;
    return { stateAt, stateLength, outputs };
  });
  return { numbers, results };
}
