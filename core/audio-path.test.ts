import { describe, expect, it } from 'vitest';
import { mulawEncode } from '../codecs/g711.ts';
import { type AudioChunk, PCM16_24K, PCMU_8K } from './audio-format.ts';
import { audioPath } from './audio-path.ts';

function tone8k(ms: number, freq: number): Uint8Array {
  const n = ms * 8;
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * freq * i) / 8000));
  return mulawEncode(pcm);
}

describe('audioPath', () => {
  it('is the sink itself when the formats match: the chunk passes untouched', () => {
    const got: AudioChunk[] = [];
    const path = audioPath(PCMU_8K, PCMU_8K, (c) => got.push(c));
    const chunk = { format: PCMU_8K, wire: 'AAAA', at: 1 };
    path.push(chunk);
    expect(got[0]).toBe(chunk);
  });

  it('turns 8 kHz mu-law into 24 kHz PCM16, three samples per byte over the stream, per item', () => {
    let samples = 0;
    const items: Array<string | undefined> = [];
    const path = audioPath(PCMU_8K, PCM16_24K, (c) => {
      expect(c.format).toEqual(PCM16_24K);
      expect(c.data).toBeInstanceOf(Int16Array);
      samples += c.data!.length;
      items.push(c.itemId);
    });
    const audio = tone8k(200, 440);
    for (let i = 0; i < audio.length; i += 160)
      path.push({ format: PCMU_8K, wire: Buffer.from(audio.subarray(i, i + 160)).toString('base64'), at: i, itemId: 'a' });
    path.end('a');
    expect(samples).toBe(audio.length * 3);
    expect(new Set(items)).toEqual(new Set(['a']));
  });
});
