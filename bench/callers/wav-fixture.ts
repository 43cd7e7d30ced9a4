import { readFileSync } from 'node:fs';
import { readWav } from '../../codecs/wav.ts';
import { createTranscoder } from '../../codecs/transcode.ts';
import { PCMU_8K } from '../../core/audio-format.ts';

/**
 * What a phone caller says, from a WAV file in any format `codecs/wav.ts` reads (PCM16, mu-law, A-law at 8/16/24/48
 * kHz): converted to the 8 kHz mu-law a Twilio media stream carries.
 */
export function callerAudioFromWav(file: Uint8Array): Uint8Array {
  const wav = readWav(file);
  const t = createTranscoder(wav.format, PCMU_8K);
  if (t.identity) return Uint8Array.from(wav.data as Uint8Array);
  const head = Uint8Array.from(t.process(wav.data) as Uint8Array);
  const tail = Uint8Array.from(t.flush() as Uint8Array);
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

export function loadCallerAudio(path: string | URL): Uint8Array {
  return callerAudioFromWav(readFileSync(path));
}
