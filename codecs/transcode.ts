/**
 * One codec stage: whatever turns audio in format `from` into format `to`. Decode (G.711 → 16-bit), resample,
 * encode (16-bit → G.711), each only if needed, with all intermediate buffers owned by the stage and reused.
 *
 * Two faces: `createTranscoder` is synchronous (the pipeline can run stages inline, without a stream hop; the pool
 * worker runs the same code), and `createTranscodeStream` is the object-mode Transform the pipeline inserts.
 */
import { Buffer } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import type { AudioChunk, AudioFormat } from '../core/audio-format.ts';
import { CodecError } from './errors.ts';
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from './g711.ts';
import { base64ToBytes, decodedLength, HOST_LITTLE_ENDIAN, int16FromBytesLE } from './pcm.ts';
import { createResampler, type ResampleQuality, type Resampler } from './resample.ts';

export type AudioData = Uint8Array | Int16Array;

export interface TranscoderOptions {
  quality?: ResampleQuality;
}

export interface Transcoder {
  readonly from: AudioFormat;
  readonly to: AudioFormat;
  /** Formats equal: `process` hands its input back untouched. */
  readonly identity: boolean;
  /** Output samples held back by resampling (0 without it); `flush` releases them. */
  readonly delay: number;
  /** Multiply-adds per input sample of the resampler (0 when rates match); the pool's work estimate. */
  readonly macsPerInputSample: number;
  /**
   * Converts the next piece of the stream: `from` data in (Uint8Array of codes for G.711; Int16Array or little-endian
   * bytes for pcm16), `to` data out (Uint8Array for G.711, Int16Array for pcm16). The result is the transcoder's own
   * buffer, valid until the next `process`/`flush`: encode or copy it before then.
   */
  process(data: AudioData): AudioData;
  /** Ends the stream: the held-back tail, in the target format. The transcoder is then fresh again. */
  flush(): AudioData;
  reset(): void;
  /** Stream state for moving the stream to another thread (the resampler's; G.711 has none). See `Resampler`. */
  stateLength(): number;
  readonly maxStateLength: number;
  exportState(into?: Float64Array, offset?: number): Float64Array;
  importState(state: Float64Array, offset?: number, length?: number): void;
}

/** A growable typed array whose exact-length views are cached, so steady equal frames allocate nothing. */
class Scratch<T extends Uint8Array | Int16Array> {
  #buf: T;
  #view: T;
  constructor(readonly make: (n: number) => T) {
    this.#buf = make(0);
    this.#view = this.#buf;
  }
  get(n: number): T {
    if (n > this.#buf.length) this.#buf = this.make(Math.max(n, 2 * this.#buf.length));
    if (this.#view.length !== n || this.#view.buffer !== this.#buf.buffer) this.#view = this.#buf.subarray(0, n) as T;
    return this.#view;
  }
}

const int16s = (n: number) => new Int16Array(n);
const uint8s = (n: number) => new Uint8Array(n);
const EMPTY_INT16 = new Int16Array(0);
const EMPTY_UINT8 = new Uint8Array(0);

/** mu-law ↔ A-law at the same rate: one lookup per byte, through the 16-bit value (G.191 decode, then encode). */
const MULAW_TO_ALAW = alawEncode(mulawDecode(Uint8Array.from({ length: 256 }, (_, i) => i)));
const ALAW_TO_MULAW = mulawEncode(alawDecode(Uint8Array.from({ length: 256 }, (_, i) => i)));

export function createTranscoder(from: AudioFormat, to: AudioFormat, opts: TranscoderOptions = {}): Transcoder {
  const identity = from.codec === to.codec && from.rate === to.rate;
  const resampler: Resampler | undefined =
    from.rate === to.rate ? undefined : createResampler(from.rate, to.rate, { quality: opts.quality });
  const pcmIn = new Scratch(int16s);
  const codesOut = new Scratch(uint8s);

  const decode = (data: AudioData): Int16Array => {
    if (from.codec === 'pcm16') {
      if (data instanceof Int16Array) return data;
      // A view when aligned; otherwise copied into our scratch.
      return (data.byteOffset & 1) === 0 ? int16FromBytesLE(data) : int16FromBytesLE(data, pcmIn.get(data.length >> 1));
    }
    if (!(data instanceof Uint8Array)) throw new CodecError('codec_unsupported', `${from.codec} data must be bytes`);
    const pcm = pcmIn.get(data.length);
    return from.codec === 'pcmu' ? mulawDecode(data, pcm) : alawDecode(data, pcm);
  };

  const encode = (pcm: Int16Array): AudioData => {
    if (to.codec === 'pcm16') return pcm;
    const out = codesOut.get(pcm.length);
    return to.codec === 'pcmu' ? mulawEncode(pcm, out) : alawEncode(pcm, out);
  };

  const process = (data: AudioData): AudioData => {
    if (identity) return data;
    if (resampler === undefined && from.codec !== 'pcm16' && to.codec !== 'pcm16') {
      if (!(data instanceof Uint8Array)) throw new CodecError('codec_unsupported', `${from.codec} data must be bytes`);
      const table = from.codec === 'pcmu' ? MULAW_TO_ALAW : ALAW_TO_MULAW;
      const out = codesOut.get(data.length);
      for (let i = 0; i < data.length; i++) out[i] = table[data[i]!]!;
      return out;
    }
    const pcm = decode(data);
    return encode(resampler === undefined ? pcm : resampler.process(pcm));
  };

  return {
    from,
    to,
    identity,
    delay: resampler?.delay ?? 0,
    macsPerInputSample: resampler ? (resampler.macsPerOutput * to.rate) / from.rate : 0,
    process,
    flush: () => {
      if (resampler === undefined) return to.codec === 'pcm16' ? EMPTY_INT16 : EMPTY_UINT8;
      return encode(resampler.flush());
    },
    reset: () => resampler?.reset(),
    stateLength: () => resampler?.stateLength() ?? 0,
    maxStateLength: resampler?.maxStateLength ?? 0,
    exportState: (into, offset) => resampler?.exportState(into, offset) ?? into ?? new Float64Array(0),
    importState: (state, offset, length) => resampler?.importState(state, offset, length),
  };
}

export interface TranscodeStreamOptions extends TranscoderOptions {
  /** Object-mode buffering in chunks (default 4, ≈ 80 ms of 20 ms frames; Node's default 16 hides ≈ 320 ms). */
  highWaterMark?: number;
}

/**
 * The pipeline's codec stage: AudioChunks in `from` in, AudioChunks in `to` out, `at` and `itemId` carried over.
 * Input may carry `data` or only `wire` (base64). Output carries fresh `data` and no `wire`, since it is new audio.
 *
 * Each output chunk owns its samples (a copy of the transcoder's buffer): downstream may hold several chunks at
 * once. When `itemId` changes, the resampler tail of the previous item is pushed first, tagged with that item, so an
 * interruption that drops the old item drops its tail too, and the new item starts from a clean filter state.
 */
export function createTranscodeStream(from: AudioFormat, to: AudioFormat, opts: TranscodeStreamOptions = {}): Transform {
  const highWaterMark = opts.highWaterMark ?? 4;
  const t = createTranscoder(from, to, opts);
  // Base64 is decoded straight into a Buffer we own (Buffer.write needs no view of its own), and 16-bit samples are
  // read through a cached view of the same memory: decoding `wire` allocates nothing per frame.
  const wireBytes = new Scratch((n) => Buffer.allocUnsafeSlow(n) as Uint8Array);
  let wireSamples: Int16Array = new Int16Array(0);
  const asSamples = (bytes: Uint8Array): Int16Array => {
    const same = wireSamples.buffer === bytes.buffer && wireSamples.byteOffset === bytes.byteOffset;
    if (!HOST_LITTLE_ENDIAN || bytes.length & 1 || !same || wireSamples.length !== bytes.length >> 1) {
      // A new view (or, on a big-endian host, a swapped copy; or the odd-length error).
      wireSamples = int16FromBytesLE(bytes);
    }
    return wireSamples;
  };
  let lastItem: string | undefined;
  let lastAt = 0;
  let started = false;

  const emit = (stream: Transform, data: AudioData, at: number, itemId: string | undefined) => {
    if (data.length === 0) return;
    const chunk: AudioChunk = { format: to, data: data.slice(), at, itemId };
    stream.push(chunk);
  };

  return new Transform({
    objectMode: true,
    readableHighWaterMark: highWaterMark,
    writableHighWaterMark: highWaterMark,
    transform(chunk: AudioChunk, _encoding: BufferEncoding, done: TransformCallback) {
      if (chunk.format.codec !== from.codec || chunk.format.rate !== from.rate) {
        done(new CodecError('codec_unsupported', `chunk is ${describe(chunk.format)}, this stage takes ${describe(from)}`));
        return;
      }
      if (t.identity) {
        done(null, chunk);
        return;
      }
      try {
        if (started && chunk.itemId !== lastItem && t.delay > 0) emit(this, t.flush(), lastAt, lastItem);
        started = true;
        lastItem = chunk.itemId;
        lastAt = chunk.at;
        let data = chunk.data;
        if (data === undefined) {
          const wire = chunk.wire ?? '';
          const bytes = base64ToBytes(wire, wireBytes.get(decodedLength(wire)));
          data = from.codec === 'pcm16' ? asSamples(bytes) : bytes;
        }
        emit(this, t.process(data), chunk.at, chunk.itemId);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      if (!t.identity && started) emit(this, t.flush(), lastAt, lastItem);
      done();
    },
  });
}

const describe = (f: AudioFormat) => `${f.codec}@${f.rate}`;
