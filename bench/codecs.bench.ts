import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import libsamplerate from '@alexanderolsen/libsamplerate-js';
import alawmulaw from 'alawmulaw';
import waveResampler from 'wave-resampler';
import type { AudioFormat } from '../core/audio-format.ts';
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../codecs/g711.ts';
import { CodecPool, estimateNs, INLINE_BELOW_NS } from '../codecs/pool.ts';
import { createResampler, type ResampleQuality } from '../codecs/resample.ts';
import { amplitudeAt, db, fold } from '../codecs/test-signal.ts';
import { createTranscoder } from '../codecs/transcode.ts';
import type { BenchContext, BenchResult, BenchTable } from './bench-types.ts';

/**
 * Is `codecs/` exact and faster than what a user would otherwise pick, and when is the worker pool worth a hop?
 *
 * One table, three groups, peers measured in the same run:
 *  - G.711 (mu-law, A-law; encode, decode) against `alawmulaw`: per 20 ms frame (160 samples, varied content) and
 *    per sample over a 60 s buffer.
 *  - Resampling 8k→24k, 24k→8k, 48k→24k against libsamplerate (WebAssembly; SINC_FASTEST, SINC_MEDIUM; its
 *    streaming `full()` API per frame) and `wave-resampler` (defaults; whole-buffer API only, so per frame it is
 *    called on each frame alone, as a user would have to). Quality is measured the same way for every
 *    implementation, on its whole-buffer output: the gain at the top of the pass band that must stay flat, and the
 *    worst image or alias of a set of tones relative to the tone.
 *  - The pool against inline work: S sessions each sending one 8k mu-law → 24k PCM frame per event-loop turn.
 *
 * Times are CPU time of the main thread (see threadCpuNs): waiting for a core on this shared 2-core machine is not
 * counted, nor is the pool's worker time. (GC work a peer's allocations cause on V8's helper threads is not counted
 * either, which flatters the allocating peers.) Contenders are interleaved and the median of many runs is kept;
 * every result goes to a sink that is reported, so no work can be optimised away (mitata's `do_not_optimize`).
 */

let sink = 0;
/** The last result, kept where the compiler cannot prove it unused (mitata's `do_not_optimize`). */
export const kept: { last: unknown } = { last: undefined };
/** Keeps a result alive without reading its samples, so the sink costs the same for every contender. */
function consume(x: ArrayLike<number>): void {
  kept.last = x;
  sink = (sink + x.length) | 0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * CPU time of the calling thread in ns. On Linux it is read from /proc/thread-self/schedstat, so time the thread
 * spends waiting for a core (this machine is shared) is not counted and worker threads never are; elsewhere
 * `process.cpuUsage()`, which covers the whole process.
 */
const threadCpuNs: () => number = (() => {
  try {
    readFileSync('/proc/thread-self/schedstat', 'utf8');
    return () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  } catch {
    return () => {
      const u = process.cpuUsage();
      return (u.user + u.system) * 1000;
    };
  }
})();

/**
 * CPU ns per call of each of `fns`: each is warmed up, then all are run in turn, `repeats` rounds of at least
 * `minMs` each, and the median per function is kept. Interleaving puts every contender under the same conditions,
 * so the ratios hold even on a shared machine.
 */
function nsPerCall(fns: Array<(i: number) => void>, minMs: number, repeats: number, callsPerCheck = 16): number[] {
  const once = (fn: (i: number) => void) => {
    let calls = 0;
    const start = performance.now();
    const cpu0 = threadCpuNs();
    while (performance.now() - start < minMs) {
      for (let k = 0; k < callsPerCheck; k++) fn(calls++);
    }
    return (threadCpuNs() - cpu0) / calls;
  };
  for (const fn of fns) once(fn);
  const runs = fns.map(() => [] as number[]);
  for (let r = 0; r < repeats; r++) for (const [i, fn] of fns.entries()) runs[i]!.push(once(fn));
  return runs.map(median);
}

/** A deterministic speech-like test signal: a few drifting partials under a syllable-rate envelope, plus noise. */
function speechLike(rate: number, seconds: number): Int16Array {
  const n = Math.round(rate * seconds);
  const out = new Int16Array(n);
  let seed = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const t = i / rate;
    const env = 0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * t);
    const v =
      0.5 * Math.sin(2 * Math.PI * (180 + 20 * Math.sin(t)) * t) +
      0.25 * Math.sin(2 * Math.PI * 730 * t) +
      0.12 * Math.sin(2 * Math.PI * 2450 * t) +
      0.05 * (seed / 2 ** 31 - 1);
    out[i] = Math.round(14000 * env * v);
  }
  return out;
}

type Row = Array<string | number>;
const COLUMNS = ['group', 'case', 'implementation', 'µs / 20 ms frame', 'ns / sample (60 s)', 'frames / s', 'quality', 'vs peer'];

// ---------------------------------------------------------------------------------------------------------------- G.711

function g711Rows(quick: boolean): { rows: Row[]; notes: string[] } {
  // Many short interleaved runs: the median then shrugs off bursts of other work on a shared machine.
  const minMs = quick ? 30 : 50;
  const repeats = quick ? 5 : 21;
  const pcm60 = speechLike(8000, 60);
  const mu60 = mulawEncode(pcm60);
  const a60 = alawEncode(pcm60);
  // 50 different frames, so per-frame timing sees varied data and call sites, as in a call.
  const frames = Array.from({ length: 50 }, (_, i) => pcm60.subarray(i * 160, i * 160 + 160));
  const muFrames = frames.map((f) => mulawEncode(f));
  const aFrames = frames.map((f) => alawEncode(f));
  const codes = new Uint8Array(160);
  const samples = new Int16Array(160);
  const codes60 = new Uint8Array(pcm60.length);
  const samples60 = new Int16Array(pcm60.length);

  // Agreement with G.191 over all inputs.
  const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
  const allCodes = Uint8Array.from({ length: 256 }, (_, i) => i);
  const diff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let n = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
    return n;
  };

  const cases = [
    {
      name: 'mu-law encode',
      ours: (i: number) => consume(mulawEncode(frames[i % 50]!, codes)),
      peer: (i: number) => consume(alawmulaw.mulaw.encode(frames[i % 50]!)),
      ours60: () => consume(mulawEncode(pcm60, codes60)),
      peer60: () => consume(alawmulaw.mulaw.encode(pcm60)),
      peerExact: `${diff(alawmulaw.mulaw.encode(all), mulawEncode(all))} of 65536 codes differ from G.191`,
    },
    {
      name: 'mu-law decode',
      ours: (i: number) => consume(mulawDecode(muFrames[i % 50]!, samples)),
      peer: (i: number) => consume(alawmulaw.mulaw.decode(muFrames[i % 50]!)),
      ours60: () => consume(mulawDecode(mu60, samples60)),
      peer60: () => consume(alawmulaw.mulaw.decode(mu60)),
      peerExact: `${diff(alawmulaw.mulaw.decode(allCodes), mulawDecode(allCodes))} of 256 values differ`,
    },
    {
      name: 'A-law encode',
      ours: (i: number) => consume(alawEncode(frames[i % 50]!, codes)),
      peer: (i: number) => consume(alawmulaw.alaw.encode(frames[i % 50]!)),
      ours60: () => consume(alawEncode(pcm60, codes60)),
      peer60: () => consume(alawmulaw.alaw.encode(pcm60)),
      peerExact: `${diff(alawmulaw.alaw.encode(all), alawEncode(all))} of 65536 codes differ from G.191`,
    },
    {
      name: 'A-law decode',
      ours: (i: number) => consume(alawDecode(aFrames[i % 50]!, samples)),
      peer: (i: number) => consume(alawmulaw.alaw.decode(aFrames[i % 50]!)),
      ours60: () => consume(alawDecode(a60, samples60)),
      peer60: () => consume(alawmulaw.alaw.decode(a60)),
      peerExact: `${diff(alawmulaw.alaw.decode(allCodes), alawDecode(allCodes))} of 256 values differ`,
    },
  ];
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const c of cases) {
    const [ours, peer] = nsPerCall([c.ours, c.peer], minMs, repeats).map((ns) => ns / 1000) as [number, number];
    const [ours60, peer60] = nsPerCall([c.ours60, c.peer60], minMs, repeats).map((ns) => ns / pcm60.length) as [number, number];
    rows.push(['G.711', c.name, 'voxbridge (dst given)', ours, ours60, Math.round(1e6 / ours), 'G.191 bit-exact', `${(peer / ours).toFixed(1)}× alawmulaw`]);
    rows.push(['G.711', c.name, 'alawmulaw 6', peer, peer60, Math.round(1e6 / peer), c.peerExact, '']);
    notes.push(
      `${c.name}: ${(peer / ours).toFixed(1)}× alawmulaw per frame (target ≥ 5×) ${peer / ours >= 5 ? 'met' : 'NOT met'}; ` +
        `${ours60.toFixed(2)} ns/sample on 60 s (target ≤ 1) ${ours60 <= 1 ? 'met' : 'NOT met'}`,
    );
  }
  return { rows, notes };
}

// ----------------------------------------------------------------------------------------------------------- Resampling

const PASS_EDGE: Record<number, number> = { 8000: 3400, 16000: 7000, 24000: 10000 };

/** An odd frequency not divisible by 3 or 5 near `f`: coherent in a 1 s window, its rounding error spread thin. */
function coprime(f: number): number {
  let g = Math.round(f) | 1;
  while (g % 3 === 0 || g % 5 === 0) g += 2;
  return g;
}

function tone(rate: number, f: number, seconds: number): Int16Array {
  const out = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(29000 * Math.sin((2 * Math.PI * f * i) / rate));
  return out;
}

/**
 * Gain at the pass-band edge and the worst image/alias (dB re the tone) of a whole-buffer converter. Tones are
 * 1.3 s long and analysed over [0.15 s, 1.15 s) of the output, so any converter's latency (< 0.15 s) is harmless.
 */
function quality(
  from: number,
  to: number,
  convert: (x: Int16Array) => ArrayLike<number>,
  scale: number,
): { edgeDb: number; spurDb: number } {
  const pass = PASS_EDGE[Math.min(from, to)]!;
  const g = gcdOf(from, to);
  const L = to / g;
  const tones = [997, pass / 2, pass - 9].map(coprime);
  if (from > to) for (let f = to - pass + 7; f < from / 2 - 50; f += (from / 2 - (to - pass)) / 4) tones.push(coprime(f));
  let edgeDb = 0;
  let spurDb = Number.NEGATIVE_INFINITY;
  for (const f of tones) {
    const x = tone(from, f, 1.3);
    const inAmp = amplitudeAt(x, from, f, Math.round(0.15 * from), from);
    const y = convert(x);
    const at = (freq: number) => amplitudeAt(y, to, freq, Math.round(0.15 * to), to) * scale;
    const wanted = f <= pass ? f : -1;
    if (f === tones[2]) edgeDb = db(at(f) / inAmp);
    for (let k = 0; k <= L; k++) {
      for (const image of [k * from - f, k * from + f]) {
        if (image < 0 || image > (from * L) / 2) continue;
        const spur = fold(image, to);
        if (Math.abs(spur - wanted) < 1 || spur === 0 || spur === to / 2) continue;
        spurDb = Math.max(spurDb, db(at(spur) / inAmp));
      }
    }
  }
  return { edgeDb, spurDb };
}

function gcdOf(a: number, b: number): number {
  return b === 0 ? a : gcdOf(b, a % b);
}

interface Impl {
  name: string;
  /** A fresh stream and a function converting frame i of `frames` through it. */
  frameStep(frames: Int16Array[]): (i: number) => void;
  /** Whole-buffer conversion (for the 60 s timing and for quality). */
  whole(x: Int16Array): ArrayLike<number>;
  /** Output units per 16-bit unit (libsamplerate works in floats of ±1). */
  scale: number;
  dispose?(): void;
}

function toFloat(x: Int16Array): Float32Array {
  const f = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) f[i] = x[i]! / 32768;
  return f;
}

function ourImpl(from: number, to: number, q: ResampleQuality): Impl {
  return {
    name: `voxbridge ${q}`,
    scale: 1,
    frameStep(frames) {
      const r = createResampler(from, to, { quality: q });
      return (i) => consume(r.process(frames[i % frames.length]!));
    },
    whole(x) {
      const r = createResampler(from, to, { quality: q });
      const head = r.process(x).slice();
      const tail = r.flush();
      const out = new Int16Array(head.length + tail.length);
      out.set(head);
      out.set(tail, head.length);
      return out;
    },
  };
}

/** libsamplerate instances are created asynchronously (WebAssembly), so both are made up front. */
async function srcImpl(from: number, to: number, type: 'SINC_FASTEST' | 'SINC_MEDIUM'): Promise<Impl> {
  const converterType = type === 'SINC_FASTEST' ? libsamplerate.ConverterType.SRC_SINC_FASTEST : libsamplerate.ConverterType.SRC_SINC_MEDIUM_QUALITY;
  const streaming = await libsamplerate.create(1, from, to, { converterType });
  const simple = await libsamplerate.create(1, from, to, { converterType });
  return {
    name: `libsamplerate ${type}`,
    scale: 32768,
    frameStep(frames) {
      // Float input prepared up front: the library is timed, not our conversion to its format.
      const floats = frames.map(toFloat);
      const out = new Float32Array(Math.ceil((frames[0]!.length * to) / from) + 64);
      return (i) => consume(streaming.full(floats[i % floats.length]!, out));
    },
    // `simple()` is libsamplerate's stateless src_simple: one call, one whole signal.
    whole: (x) => simple.simple(toFloat(x)),
    dispose() {
      streaming.destroy();
      simple.destroy();
    },
  };
}

function waveImpl(from: number, to: number): Impl {
  return {
    name: 'wave-resampler (defaults)',
    scale: 1,
    // It low-pass filters its input in place, so it gets copies (the copy is < 1% of its time).
    frameStep: (frames) => (i) => consume(waveResampler.resample(frames[i % frames.length]!.slice(), from, to)),
    whole: (x) => waveResampler.resample(x.slice(), from, to),
  };
}

async function resampleRows(quick: boolean): Promise<{ rows: Row[]; notes: string[] }> {
  const minMs = quick ? 40 : 100;
  const repeats = quick ? 3 : 11;
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const [from, to] of [
    [8000, 24000],
    [24000, 8000],
    [48000, 24000],
  ] as const) {
    const frameLen = from / 50;
    const speech = speechLike(from, 1);
    const frames = Array.from({ length: 50 }, (_, i) => speech.subarray(i * frameLen, (i + 1) * frameLen));
    const long = speechLike(from, quick ? 10 : 60);
    const impls = [
      ourImpl(from, to, 'voice'),
      ourImpl(from, to, 'high'),
      await srcImpl(from, to, 'SINC_FASTEST'),
      await srcImpl(from, to, 'SINC_MEDIUM'),
      waveImpl(from, to),
    ];
    // Per frame and on the long buffer, all implementations interleaved (see nsPerCall).
    const steps = impls.map((impl) => impl.frameStep(frames));
    const frameUs = nsPerCall(steps, minMs, repeats).map((ns) => ns / 1000);
    const wholeNs = nsPerCall(
      impls.map((impl) => () => consume(impl.whole(long))),
      minMs,
      quick ? 2 : 3,
      1,
    ).map((ns) => ns / long.length);
    const measured = impls.map((impl, i) => ({
      name: impl.name,
      frameUs: frameUs[i]!,
      nsPerSample: wholeNs[i]!,
      q: quality(from, to, (x) => impl.whole(x), impl.scale),
    }));
    for (const impl of impls) impl.dispose?.();
    const medium = measured.find((m) => m.name === 'libsamplerate SINC_MEDIUM')!;
    const pass = PASS_EDGE[Math.min(from, to)]! / 1000;
    for (const m of measured) {
      const ratio = medium.frameUs / m.frameUs;
      rows.push([
        'resample',
        `${from / 1000}k → ${to / 1000}k`,
        m.name,
        m.frameUs,
        m.nsPerSample,
        Math.round(1e6 / m.frameUs),
        `${pass} kHz ${m.q.edgeDb >= 0 ? '+' : ''}${m.q.edgeDb.toFixed(2)} dB; spurs ${m.q.spurDb.toFixed(0)} dB`,
        m === medium ? '' : `${ratio.toFixed(1)}× SINC_MEDIUM`,
      ]);
    }
    const voice = measured[0]!;
    if (from === 8000) {
      notes.push(
        'resampling quality: "spurs" is the worst image or alias of the test tones re the tone. libsamplerate works in ' +
          'float and goes below what 16-bit output can carry (its rounding noise sits near -98 dB re full scale); ' +
          "voxbridge's promise is ≥ 60 dB (voice) and ≥ 90 dB (high), with the pass band flat.",
      );
    }
    notes.push(
      `${from / 1000}k→${to / 1000}k voice: ${voice.frameUs.toFixed(1)} µs/frame, ${(medium.frameUs / voice.frameUs).toFixed(1)}× SINC_MEDIUM ` +
        `(target ≥ 10×${from === 8000 ? ', ≤ 10 µs' : ''}); edge ${voice.q.edgeDb.toFixed(2)} dB vs SINC_MEDIUM ${medium.q.edgeDb.toFixed(2)} dB`,
    );
  }
  return { rows, notes };
}

// ----------------------------------------------------------------------------------------------------------------- Pool

const PCMU_8K: AudioFormat = { codec: 'pcmu', rate: 8000 };
const PCM_24K: AudioFormat = { codec: 'pcm16', rate: 24000 };

/**
 * S sessions, one 20 ms frame each per round. Inline: the frames are transcoded right away, as a session would
 * without the pool; its main-thread time is simply the time taken. Pooled: every session's frame is handed to the
 * pool in the same turn and the round waits for all results (one batch in flight, as when frames arrive every
 * 20 ms). Main-thread time is that thread's CPU time (threadCpuNs), so the workers' time is not counted.
 * Returns a measurement: `rounds` rounds → main-thread µs per frame and frames per second.
 */
function poolDriver(pool: CodecPool | null, sessions: number) {
  const codes = mulawEncode(speechLike(8000, 1));
  const frames = Array.from({ length: 50 }, (_, i) => codes.subarray(i * 160, i * 160 + 160));
  if (pool === null) {
    const ts = Array.from({ length: sessions }, () => createTranscoder(PCMU_8K, PCM_24K));
    return async (rounds: number) => {
      const cpu0 = threadCpuNs();
      // The copy is what hands a frame on (the transcoder's buffer is reused).
      for (let r = 0; r < rounds; r++) for (const t of ts) consume(t.process(frames[r % 50]!).slice());
      const us = (threadCpuNs() - cpu0) / 1000 / (sessions * rounds);
      return { mainUsPerFrame: us, framesPerSecond: 1e6 / us };
    };
  }
  const streams = Array.from({ length: sessions }, () => pool.open(PCMU_8K, PCM_24K));
  const round = async (r: number) => {
    for (const out of await Promise.all(streams.map((s) => s.process(frames[r % 50]!)))) consume(out);
  };
  return async (rounds: number) => {
    const cpu0 = threadCpuNs();
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) await round(r);
    const wall = performance.now() - t0;
    const total = sessions * rounds;
    return { mainUsPerFrame: (threadCpuNs() - cpu0) / 1000 / total, framesPerSecond: (total / wall) * 1000 };
  };
}

async function poolRows(quick: boolean): Promise<{ rows: Row[]; notes: string[] }> {
  const rows: Row[] = [];
  const batchSizes = quick ? [1, 8, 64] : [1, 4, 16, 32, 64, 256];
  const pools: Array<[string, CodecPool]> = [
    ['pool, 1 thread', new CodecPool({ threads: 1, inlineBelowNs: 0 })],
    ['pool, 2 threads', new CodecPool({ threads: 2, inlineBelowNs: 0 })],
  ];
  await Promise.all(pools.map(([, p]) => p.ready()));
  const perFrameNs = estimateNs(createTranscoder(PCMU_8K, PCM_24K), 160);
  let breakEven: number | undefined;
  const oneThread = new Map<number, number>();
  for (const s of batchSizes) {
    const rounds = Math.max(10, Math.round((quick ? 1500 : 4000) / s));
    const drivers: Array<[string, (rounds: number) => Promise<{ mainUsPerFrame: number; framesPerSecond: number }>]> = [
      ['inline', poolDriver(null, s)],
      ...pools.map(([name, p]): [string, ReturnType<typeof poolDriver>] => [name, poolDriver(p, s)]),
    ];
    // Warm up, then alternate the contenders (see nsPerCall) and keep medians.
    for (const [, d] of drivers) await d(Math.min(20, rounds));
    const runs = drivers.map(() => [] as Array<{ mainUsPerFrame: number; framesPerSecond: number }>);
    for (let rep = 0; rep < (quick ? 3 : 5); rep++) for (const [i, [, d]] of drivers.entries()) runs[i]!.push(await d(rounds));
    const med = runs.map((r) => ({
      mainUsPerFrame: median(r.map((x) => x.mainUsPerFrame)),
      framesPerSecond: median(r.map((x) => x.framesPerSecond)),
    }));
    const inline = med[0]!;
    const choice = s * perFrameNs < INLINE_BELOW_NS ? 'inline' : 'pool';
    const work = `${s} frame${s === 1 ? '' : 's'} / batch (≈${((s * perFrameNs) / 1000).toFixed(0)} µs work)`;
    rows.push(['pool', work, 'inline', inline.mainUsPerFrame, '', Math.round(inline.framesPerSecond), '', `code picks ${choice}`]);
    for (const [i, [name]] of drivers.entries()) {
      if (i === 0) continue;
      const m = med[i]!;
      const saves = inline.mainUsPerFrame / m.mainUsPerFrame;
      if (i === 1) oneThread.set(s, m.mainUsPerFrame);
      if (breakEven === undefined && i === 1 && saves >= 1) breakEven = s;
      const verdict = saves >= 1 ? `main thread ${saves.toFixed(1)}× less` : `main thread ${(1 / saves).toFixed(1)}× more`;
      rows.push(['pool', work, name, m.mainUsPerFrame, '', Math.round(m.framesPerSecond), '', verdict]);
    }
  }
  await Promise.all(pools.map(([, p]) => p.close()));
  // Main-thread cost model of a pooled batch (1 thread): a fixed hop plus a per-frame share, fitted to the smallest
  // and largest batches.
  const one = oneThread.get(batchSizes[0]!)!;
  const big = batchSizes.at(-1)!;
  const perFrame = (oneThread.get(big)! * big - one * batchSizes[0]!) / (big - batchSizes[0]!);
  const hop = one * batchSizes[0]! - perFrame * batchSizes[0]!;
  const notes = [
    `pool: 8k mu-law → 24k PCM (voice). For pool rows "µs / 20 ms frame" is main-thread CPU per frame and ` +
      `"frames / s" the rate with one batch in flight. A pooled batch costs the main thread ≈ ${hop.toFixed(0)} µs ` +
      `plus ≈ ${perFrame.toFixed(1)} µs per frame, so pooling breaks even from ~${breakEven ?? `>${big}`} frames ` +
      `(1 thread); the code sends a batch only when its estimated work ≥ ${INLINE_BELOW_NS / 1000} µs ` +
      `(INLINE_BELOW_NS, codecs/pool.ts).`,
  ];
  return { rows, notes };
}

// ------------------------------------------------------------------------------------------------------------------ run

export default async function run(ctx: BenchContext): Promise<BenchResult> {
  // Once any ArrayBuffer in a process has been transferred, V8 drops an optimisation (its "array buffer detaching
  // protector") and every typed-array access checks for detachment from then on: ~30–40% on a G.711 frame here. A
  // gateway always is in that state (the pool and the sockets transfer buffers), and so is this bench, explicitly,
  // whatever its imports happen to do.
  const tripwire = new ArrayBuffer(8);
  structuredClone(tripwire, { transfer: [tripwire] });
  const loadBefore = loadavg()[0]!;
  const g = g711Rows(ctx.quick);
  const r = await resampleRows(ctx.quick);
  const p = await poolRows(ctx.quick);
  const table: BenchTable = { title: 'codecs: G.711, resampling, pool vs inline', columns: COLUMNS, rows: [...g.rows, ...r.rows, ...p.rows] };
  return {
    name: 'codecs',
    tables: [table],
    notes: [
      ...g.notes,
      ...r.notes,
      ...p.notes,
      `load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after (timings are only as quiet as the machine)`,
      `checksum ${sink} (keeps every result live)`,
    ],
  };
}
