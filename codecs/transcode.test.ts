import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import type { AudioChunk, AudioFormat } from '../core/audio-format.ts';
import { CodecError } from './errors.ts';
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from './g711.ts';
import { bytesToBase64 } from './pcm.ts';
import { createResampler } from './resample.ts';
import { tone } from './test-signal.ts';
import { createTranscoder, createTranscodeStream } from './transcode.ts';

const PCMU_8K: AudioFormat = { codec: 'pcmu', rate: 8000 };
const PCMA_8K: AudioFormat = { codec: 'pcma', rate: 8000 };
const PCM_24K: AudioFormat = { codec: 'pcm16', rate: 24000 };
const PCM_16K: AudioFormat = { codec: 'pcm16', rate: 16000 };
const PCM_48K: AudioFormat = { codec: 'pcm16', rate: 48000 };

/** Frames of `frame` samples through `process`, copied out, then the flushed tail. */
function run(t: ReturnType<typeof createTranscoder>, frames: Array<Uint8Array | Int16Array>): number[] {
  const out: number[] = [];
  for (const f of frames) out.push(...t.process(f));
  out.push(...t.flush());
  return out;
}

function frames<T extends Uint8Array | Int16Array>(x: T, size: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < x.length; i += size) out.push(x.subarray(i, i + size) as T);
  return out;
}

describe('createTranscoder', () => {
  const speech8k = tone(8000, 997, 0.5, 12000);
  const speech24k = tone(24000, 1009, 0.5, 12000);

  it('is the identity for equal formats', () => {
    const t = createTranscoder(PCMU_8K, PCMU_8K);
    const data = mulawEncode(speech8k);
    expect(t.identity).toBe(true);
    expect(t.process(data)).toBe(data);
  });

  it('mu-law 8k → pcm16 24k is decode then resample', () => {
    const codes = mulawEncode(speech8k);
    const r = createResampler(8000, 24000);
    const expected = [...r.process(mulawDecode(codes)), ...r.flush()];
    expect(run(createTranscoder(PCMU_8K, PCM_24K), frames(codes, 160))).toEqual(expected);
  });

  it('pcm16 24k → A-law 8k is resample then encode, and takes little-endian bytes at any offset', () => {
    const r = createResampler(24000, 8000);
    const expected = Array.from(alawEncode(Int16Array.from([...r.process(speech24k), ...r.flush()])));
    expect(run(createTranscoder(PCM_24K, PCMA_8K), frames(speech24k, 480))).toEqual(expected);
    const bytes = new Uint8Array(speech24k.byteLength + 1);
    bytes.set(new Uint8Array(speech24k.buffer), 1);
    const unaligned = frames(bytes.subarray(1), 960);
    expect(run(createTranscoder(PCM_24K, PCMA_8K), unaligned)).toEqual(expected);
  });

  it('mu-law ↔ A-law is one table lookup equal to decode + encode', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(Array.from(createTranscoder(PCMU_8K, PCMA_8K).process(all))).toEqual(Array.from(alawEncode(mulawDecode(all))));
    expect(Array.from(createTranscoder(PCMA_8K, PCMU_8K).process(all))).toEqual(Array.from(mulawEncode(alawDecode(all))));
  });

  it('reuses its output buffer for equal frames', () => {
    const t = createTranscoder(PCM_48K, PCMU_8K);
    const x = tone(48000, 1009, 0.1);
    t.process(x.subarray(0, 960));
    const a = t.process(x.subarray(960, 1920));
    const b = t.process(x.subarray(1920, 2880));
    expect(b).toBe(a);
  });

  it('rejects 16-bit samples where G.711 codes are expected', () => {
    expect(() => createTranscoder(PCMU_8K, PCM_16K).process(new Int16Array(160))).toThrow(CodecError);
  });
});

describe('createTranscodeStream', () => {
  async function collect(stream: ReturnType<typeof createTranscodeStream>, chunks: AudioChunk[]): Promise<AudioChunk[]> {
    const out: AudioChunk[] = [];
    await pipeline(Readable.from(chunks), stream, async (source: AsyncIterable<AudioChunk>) => {
      for await (const c of source) out.push(c);
    });
    return out;
  }

  it('turns Twilio-style base64 mu-law into 24 kHz PCM, carrying at and itemId, same samples as the sync form', async () => {
    const codes = mulawEncode(tone(8000, 997, 0.3, 12000));
    const chunks: AudioChunk[] = frames(codes, 160).map((f, i) => ({ format: PCMU_8K, wire: bytesToBase64(f), at: i * 20 }));
    const stream = createTranscodeStream(PCMU_8K, PCM_24K);
    expect(stream.readableHighWaterMark).toBe(4);
    expect(stream.writableHighWaterMark).toBe(4);
    const out = await collect(stream, chunks);
    expect(out.every((c) => c.format === PCM_24K && c.data instanceof Int16Array && c.wire === undefined)).toBe(true);
    expect(out.slice(0, chunks.length).map((c) => c.at)).toEqual(chunks.map((c) => c.at));
    const samples = out.flatMap((c) => Array.from(c.data!));
    expect(samples).toEqual(run(createTranscoder(PCMU_8K, PCM_24K), frames(codes, 160)));
    // Each chunk owns its memory: later frames did not overwrite earlier ones.
    expect(new Set(out.map((c) => c.data!.buffer)).size).toBe(out.length);
  });

  it('turns Realtime-style base64 PCM16 24k into mu-law 8k for Twilio', async () => {
    const pcm = tone(24000, 1009, 0.2, 12000);
    const chunks: AudioChunk[] = frames(pcm, 480).map((f, i) => ({ format: PCM_24K, wire: bytesToBase64(f), at: i, itemId: 'r1' }));
    const out = await collect(createTranscodeStream(PCM_24K, PCMU_8K), chunks);
    expect(out.every((c) => c.format === PCMU_8K && c.data instanceof Uint8Array && c.itemId === 'r1')).toBe(true);
    expect(out.flatMap((c) => Array.from(c.data!))).toEqual(run(createTranscoder(PCM_24K, PCMU_8K), frames(pcm, 480)));
  });

  it('flushes the previous item’s tail, tagged with that item, when the item changes', async () => {
    const pcm = tone(24000, 1009, 0.1, 12000);
    const chunks: AudioChunk[] = frames(pcm, 480).map((f, i) => ({ format: PCM_24K, data: f, at: i, itemId: i < 3 ? 'a' : 'b' }));
    const out = await collect(createTranscodeStream(PCM_24K, PCMU_8K), chunks);
    const t = createTranscoder(PCM_24K, PCMU_8K);
    const a = run(t, frames(pcm.subarray(0, 1440), 480));
    const b = run(t, frames(pcm.subarray(1440), 480));
    expect(out.filter((c) => c.itemId === 'a').flatMap((c) => Array.from(c.data!))).toEqual(a);
    expect(out.filter((c) => c.itemId === 'b').flatMap((c) => Array.from(c.data!))).toEqual(b);
    expect(out.map((c) => c.itemId).join('')).toMatch(/^a+b+$/);
  });

  it('passes chunks through untouched when the formats are equal', async () => {
    const chunk: AudioChunk = { format: PCMU_8K, wire: 'AAAA', at: 1 };
    const out = await collect(createTranscodeStream(PCMU_8K, PCMU_8K), [chunk]);
    expect(out).toEqual([chunk]);
    expect(out[0]).toBe(chunk);
  });

  it('fails the stream on base64 PCM16 holding half a sample', async () => {
    const chunks: AudioChunk[] = [
      { format: PCM_24K, wire: bytesToBase64(new Int16Array(480)), at: 0 },
      { format: PCM_24K, wire: bytesToBase64(new Uint8Array(961)), at: 1 },
    ];
    await expect(collect(createTranscodeStream(PCM_24K, PCMU_8K), chunks)).rejects.toMatchObject({ code: 'pcm_odd_length' });
  });

  it('fails the stream on a chunk in the wrong format', async () => {
    const chunk: AudioChunk = { format: PCM_16K, data: new Int16Array(320), at: 0 };
    await expect(collect(createTranscodeStream(PCMU_8K, PCM_24K), [chunk])).rejects.toThrow(CodecError);
  });
});
