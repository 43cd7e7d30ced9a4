import { mulawEncode } from '../../codecs/g711.ts';

/**
 * Caller audio made on the spot, mu-law 8 kHz. A "talk spurt" is a tone with a soft attack and release: loud enough
 * for any VAD, and distinct per caller (frequency and amplitude differ), so a test can tell whose audio is whose by
 * its bytes.
 */
export function talkSpurt(ms: number, freq = 440, amplitude = 9000): Uint8Array {
  const n = Math.round(ms * 8);
  const pcm = new Int16Array(n);
  const ramp = Math.min(80, n / 2); // 10 ms in and out: no click, still an instant onset for a VAD
  for (let i = 0; i < n; i++) {
    const env = Math.min(1, i / ramp, (n - 1 - i) / ramp);
    pcm[i] = Math.round(amplitude * env * Math.sin((2 * Math.PI * freq * i) / 8000));
  }
  return mulawEncode(pcm);
}

export function silence(ms: number): Uint8Array {
  return new Uint8Array(Math.round(ms * 8)).fill(0xff);
}

export function concatAudio(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** A turn: a talk spurt of `speechMs` followed by `silenceMs`, long enough for the far end to end the turn. */
export function turn(speechMs: number, silenceMs: number, freq = 440, amplitude = 9000): Uint8Array {
  return concatAudio(talkSpurt(speechMs, freq, amplitude), silence(silenceMs));
}
