/**
 * What audio is, everywhere in voxbridge. `codecs/` turns one format into another; legs say which they speak.
 */
export type Codec = 'pcmu' | 'pcma' | 'pcm16';
export type SampleRate = 8000 | 16000 | 24000 | 48000;

export interface AudioFormat {
  readonly codec: Codec;
  readonly rate: SampleRate;
}

/**
 * One piece of audio moving through a session.
 *
 * `wire` is the base64 text the chunk arrived in. A chunk that leaves in the format it came in is forwarded as that
 * text, never decoded (Twilio mu-law → Realtime `audio/pcmu` is a pure relay). `data` is filled only by a stage that
 * had to look at the samples. At least one of the two is set.
 */
export interface AudioChunk {
  readonly format: AudioFormat;
  data?: Uint8Array | Int16Array;
  wire?: string;
  /** performance.now() when the chunk entered the gateway; the gateway-added latency is measured from it. */
  readonly at: number;
  /** The model item this audio belongs to (outbound only): stale chunks are dropped by it on an interruption. */
  readonly itemId?: string;
}

export const PCMU_8K: AudioFormat = Object.freeze({ codec: 'pcmu', rate: 8000 });
export const PCMA_8K: AudioFormat = Object.freeze({ codec: 'pcma', rate: 8000 });
export const PCM16_24K: AudioFormat = Object.freeze({ codec: 'pcm16', rate: 24000 });

export function sameFormat(a: AudioFormat, b: AudioFormat): boolean {
  return a.codec === b.codec && a.rate === b.rate;
}

/** Bytes of encoded audio per millisecond: 8 for G.711 at 8 kHz, 48 for PCM16 at 24 kHz. */
export function bytesPerMs(format: AudioFormat): number {
  const bytesPerSample = format.codec === 'pcm16' ? 2 : 1;
  return (format.rate / 1000) * bytesPerSample;
}

/** Decoded byte length of a base64 string, without decoding it. */
export function base64ByteLength(b64: string): number {
  const n = b64.length;
  if (n === 0) return 0;
  const pad = b64.charCodeAt(n - 1) === 61 /* = */ ? (b64.charCodeAt(n - 2) === 61 ? 2 : 1) : 0;
  return ((n * 3) >> 2) - pad;
}
