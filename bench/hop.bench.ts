import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type AudioChunk, PCMU_8K } from '../core/audio-format.ts';
import { audioPath } from '../core/audio-path.ts';
import type { BenchContext, BenchResult } from './bench-types.ts';

/**
 * What does one hop between pipeline stages cost per 20 ms frame? DESIGN.md asks `npm run bench` to report it: legs
 * hand audio to each other by a direct callback (`onAudio` → `audioPath` → `sendAudio`) rather than through
 * object-mode Duplex streams, and this is the measurement behind that choice.
 */
function frames(n: number): AudioChunk[] {
  const wire = Buffer.alloc(160, 0x7f).toString('base64');
  return Array.from({ length: n }, (_, i) => ({ format: PCMU_8K, wire, at: i }));
}

let sink = 0;
const consume = (c: AudioChunk) => {
  sink += c.at;
};

async function viaStreams(chunks: AudioChunk[], hops: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  const stages = Array.from({ length: hops }, () => new PassThrough({ objectMode: true, highWaterMark: 4 }));
  const source = stages[0]!;
  const writer = new Writable({
    objectMode: true,
    highWaterMark: 4,
    write(c: AudioChunk, _e, cb) {
      consume(c);
      cb();
    },
  });
  const done = pipeline([...stages, writer] as unknown as [PassThrough, Writable]);
  for (const c of chunks) if (!source.write(c)) await new Promise((r) => source.once('drain', r));
  source.end();
  await done;
  return Number(process.hrtime.bigint() - t0) / chunks.length;
}

function viaCallbacks(chunks: AudioChunk[]): number {
  const path = audioPath(PCMU_8K, PCMU_8K, consume);
  const t0 = process.hrtime.bigint();
  for (const c of chunks) path.push(c);
  return Number(process.hrtime.bigint() - t0) / chunks.length;
}

export default async function run(ctx: BenchContext): Promise<BenchResult> {
  const n = ctx.quick ? 50_000 : 400_000;
  const chunks = frames(n);
  // Warm up both paths so the JIT has settled.
  viaCallbacks(chunks.slice(0, 20_000));
  await viaStreams(chunks.slice(0, 20_000), 1);
  const rows: Array<Array<string | number>> = [];
  const direct = Math.min(viaCallbacks(chunks), viaCallbacks(chunks), viaCallbacks(chunks));
  rows.push(['direct callback (audioPath, formats equal)', 0, direct, '1.0×']);
  for (const hops of [1, 2, 4]) {
    const t = Math.min(await viaStreams(chunks, hops), await viaStreams(chunks, hops));
    rows.push([`object-mode PassThrough chain → Writable (hwm 4)`, hops, t, `${(t / direct).toFixed(0)}×`]);
  }
  return {
    name: 'hop',
    tables: [{ title: `Cost of handing one 20 ms frame to the next stage (${n} frames, best of runs)`, columns: ['path', 'stream hops', 'ns / frame', 'vs direct'], rows }],
    notes: [`(sink ${sink > 0 ? 'consumed' : 'empty'}: every frame reached the consumer)`, 'A stream hop is paid per frame per direction; at 1000 calls that is 100,000 hops a second.'],
  };
}
