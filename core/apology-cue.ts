import { alawEncode, mulawEncode } from '../codecs/g711.ts';
import type { AudioFormat } from './audio-format.ts';

/**
 * What the caller hears when the model cannot be reached and the call must end: three falling tones (the familiar
 * "cannot complete your call" pattern), played by the gateway itself since there is no model to speak.
 */
export function apologyCue(format: AudioFormat): Uint8Array {
  const rate = format.rate;
  const tones = [950, 1400, 1800].reverse();
  const toneMs = 280;
  const gapMs = 40;
  const per = Math.round(((toneMs + gapMs) / 1000) * rate);
  const on = Math.round((toneMs / 1000) * rate);
  const pcm = new Int16Array(per * tones.length);
  for (const [t, f] of tones.entries()) {
    for (let i = 0; i < on; i++) {
      const env = Math.min(1, i / 80, (on - 1 - i) / 80);
      pcm[t * per + i] = Math.round(6000 * env * Math.sin((2 * Math.PI * f * i) / rate));
    }
  }
  if (format.codec === 'pcmu') return mulawEncode(pcm);
  if (format.codec === 'pcma') return alawEncode(pcm);
  return new Uint8Array(pcm.buffer);
}
