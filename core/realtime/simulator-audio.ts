import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../../codecs/g711.ts';
import { createResampler } from '../../codecs/resample.ts';
import type { AudioFormat } from '../audio-format.ts';

/**
 * Sample-level audio for the simulator (the simulator is a model, so it may do what the gateway's relay path never
 * does: look at every sample). Not on the gateway's audio path.
 */
export function toPcm(bytes: Uint8Array, format: AudioFormat): Int16Array {
  if (format.codec === 'pcmu') return mulawDecode(bytes);
  if (format.codec === 'pcma') return alawDecode(bytes);
  const copy = new Uint8Array(bytes.byteLength & ~1);
  copy.set(bytes.subarray(0, copy.byteLength));
  return new Int16Array(copy.buffer); // little-endian hosts only, as the wire is
}

export function fromPcm(samples: Int16Array, format: AudioFormat): Uint8Array {
  if (format.codec === 'pcmu') return mulawEncode(samples);
  if (format.codec === 'pcma') return alawEncode(samples);
  return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
}

/** Converts a whole buffer from one format to another (echo answers when the two sides differ). */
export function convert(bytes: Uint8Array, from: AudioFormat, to: AudioFormat): Uint8Array {
  if (from.codec === to.codec && from.rate === to.rate) return bytes;
  let pcm = toPcm(bytes, from);
  if (from.rate !== to.rate) {
    const r = createResampler(from.rate, to.rate);
    const a = r.process(pcm);
    const b = r.flush();
    const out = new Int16Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    pcm = out;
  }
  return fromPcm(pcm, to);
}

/**
 * A deterministic "voice" for answers that are not echoes: a sequence of tones, each 1/4 of the answer, so a listener
 * can tell how far into an answer it got by the pitch alone.
 */
export function toneSequence(ms: number, format: AudioFormat): Uint8Array {
  const rate = format.rate;
  const n = Math.round((ms / 1000) * rate);
  const pcm = new Int16Array(n);
  const tones = [440, 554, 659, 880];
  for (let i = 0; i < n; i++) {
    const f = tones[Math.min(3, Math.floor((i / n) * 4))]!;
    pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * f * i) / rate));
  }
  return fromPcm(pcm, format);
}
