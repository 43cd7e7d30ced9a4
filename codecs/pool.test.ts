import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { AudioFormat } from '../core/audio-format.ts';
import { CodecError } from './errors.ts';
import { mulawEncode } from './g711.ts';
import { CodecPool } from './pool.ts';
import type { ResampleQuality } from './resample.ts';
import { tone } from './test-signal.ts';
import { type AudioData, createTranscoder } from './transcode.ts';

interface Kind {
  from: AudioFormat;
  to: AudioFormat;
  quality: ResampleQuality;
}

const KINDS: Kind[] = [
  { from: { codec: 'pcmu', rate: 8000 }, to: { codec: 'pcm16', rate: 24000 }, quality: 'voice' },
  { from: { codec: 'pcm16', rate: 24000 }, to: { codec: 'pcmu', rate: 8000 }, quality: 'voice' },
  { from: { codec: 'pcm16', rate: 48000 }, to: { codec: 'pcm16', rate: 24000 }, quality: 'high' },
  { from: { codec: 'pcm16', rate: 16000 }, to: { codec: 'pcma', rate: 8000 }, quality: 'voice' },
];

/** A session's input: `frames` 20 ms frames of a tone, in the kind's input format. */
function input(kind: Kind, seed: number, frames: number): AudioData[] {
  const pcm = tone(kind.from.rate, 300 + 37 * seed, (frames * 20) / 1000, 12000);
  const data = kind.from.codec === 'pcm16' ? pcm : mulawEncode(pcm);
  const size = kind.from.rate / 50;
  return Array.from({ length: frames }, (_, i) => data.subarray(i * size, (i + 1) * size));
}

/** What the synchronous transcoder makes of the same frames, frame by frame plus the tail. */
function inline(kind: Kind, frames: AudioData[]): number[][] {
  const t = createTranscoder(kind.from, kind.to, { quality: kind.quality });
  return [...frames.map((f) => Array.from(t.process(f))), Array.from(t.flush())];
}

/**
 * `sessions` streams, each sending `frames` frames: one frame per session per event-loop turn, as a gateway under
 * load would; collects each frame's output by session, in the order the promises resolve.
 */
async function drive(pool: CodecPool, sessions: number, frames: number, kinds = KINDS, perTurn = sessions) {
  const streams = Array.from({ length: sessions }, (_, s) => {
    const kind = kinds[s % kinds.length]!;
    return { kind, t: pool.open(kind.from, kind.to, { quality: kind.quality }), frames: input(kind, s, frames), got: [] as number[][] };
  });
  const all: Promise<void>[] = [];
  for (let f = 0; f < frames; f++) {
    for (const [i, s] of streams.entries()) {
      all.push(s.t.process(s.frames[f]!).then((out) => void s.got.push(Array.from(out))));
      if ((i + 1) % perTurn === 0) await nextTurn();
    }
    await nextTurn();
  }
  await Promise.all(all);
  for (const s of streams) s.got.push(Array.from(await s.t.flush()));
  return streams;
}

describe('CodecPool', () => {
  const pools: CodecPool[] = [];
  const make = (opts: ConstructorParameters<typeof CodecPool>[0]) => {
    const pool = new CodecPool(opts);
    pools.push(pool);
    return pool;
  };
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  it('gives the same samples as inline work, in order, for every session (2 real worker threads)', async () => {
    const pool = make({ threads: 2, inlineBelowNs: 0 });
    await pool.ready();
    const streams = await drive(pool, 24, 12);
    for (const s of streams) expect(s.got).toEqual(inline(s.kind, s.frames));
    expect(pool.stats.pooledFrames).toBe(24 * 12);
    expect(pool.stats.inlineFrames).toBe(0);
  });

  it('keeps small batches inline: a few G.711 sessions never pay for a hop', async () => {
    const pool = make({ threads: 1 });
    const g711: Kind[] = [{ from: { codec: 'pcmu', rate: 8000 }, to: { codec: 'pcma', rate: 8000 }, quality: 'voice' }];
    const streams = await drive(pool, 10, 5, g711);
    for (const s of streams) expect(s.got).toEqual(inline(s.kind, s.frames));
    expect(pool.stats.pooledBatches).toBe(0);
    expect(pool.stats.inlineFrames).toBe(50);
  });

  it('runs a burst beyond the queue bound inline, and still returns every result right', async () => {
    const pool = make({ threads: 1, maxQueue: 1, inlineBelowNs: 0 });
    await pool.ready();
    // Sessions sending in turns of their own: batches pile up faster than one thread drains them.
    const heavy: Kind[] = [{ from: { codec: 'pcm16', rate: 48000 }, to: { codec: 'pcmu', rate: 8000 }, quality: 'high' }];
    const streams = await drive(pool, 60, 4, heavy, 3);
    for (const s of streams) expect(s.got).toEqual(inline(s.kind, s.frames));
    expect(pool.stats.overflowBatches).toBeGreaterThan(0);
    expect(pool.stats.pooledFrames).toBeGreaterThan(0);
    expect(pool.stats.pooledFrames + pool.stats.inlineFrames).toBe(60 * 4);
  });

  it('rejects data of the wrong shape, and work after close', async () => {
    const pool = make({ threads: 1 });
    const s = pool.open({ codec: 'pcmu', rate: 8000 }, { codec: 'pcm16', rate: 16000 });
    await expect(s.process(new Int16Array(160))).rejects.toThrow(CodecError);
    await pool.close();
    await expect(s.process(new Uint8Array(160))).rejects.toMatchObject({ code: 'pool_closed' });
  });
});
