/**
 * Codec work off the main thread, only when it pays.
 *
 * A thread hop costs the main thread 25–50 µs (packing, postMessage, the reply); a 20 ms G.711 frame costs 0.2 µs
 * and an 8k→24k frame ~8 µs. So frames are never sent one at a time: every `process()` call made during one
 * event-loop turn, across all streams (sessions), is gathered and dispatched together at the end of the turn
 * (`setImmediate`). If the batch's estimated work is below `inlineBelowNs` it runs right there on the main thread;
 * otherwise it is packed into one buffer, moved to a worker (`Piscina.move`), and the results come back the same way.
 * A big batch is split across the threads.
 *
 * Streams are stateful (resampler history), and any thread may serve any batch, so the state travels with the
 * frames and back (a few hundred bytes). The main thread's transcoder stays the owner: a stream with a batch in
 * flight waits for it before its next frames go anywhere, which also keeps every stream's results in order.
 *
 * Bounded queue: at most `maxQueue` batches wait for a thread. A batch that finds the queue full runs inline
 * instead: live audio is never dropped or delayed for want of a thread; the overload shows as main-thread time and
 * in `stats.overflowBatches`.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { AudioFormat } from '../core/audio-format.ts';
import { CodecError } from './errors.ts';
import { kindKey, packRequest, type StreamKind, unpackResult } from './pool-batch.ts';
import type { ResampleQuality } from './resample.ts';
import { type AudioData, createTranscoder, type Transcoder } from './transcode.ts';

/**
 * Below this much estimated work a batch runs inline. From the bench (`npm run bench -- codecs`, pool rows, main
 * thread CPU time; 2-core EPYC): a hop costs the main thread ~40 µs per batch (Piscina's postMessage and wake-up
 * are most of it) plus ~2–3 µs per frame (packing, promises, result views), while an inline 8k→24k frame costs
 * ~9–10 µs. The main thread breaks even at ~16 such frames (≈ 140 µs of work) and saves 2× at ~32 (≈ 280 µs).
 * Below 200 µs a hop would save little and still add a thread round trip of latency, so 200 µs is the threshold
 * (DESIGN.md's "≥ ~0.2 ms").
 */
export const INLINE_BELOW_NS = 200_000;

/** Work model behind the estimate, from the same bench: per-sample overhead (G.711, copies) and per multiply-add. */
const NS_PER_SAMPLE = 2;
const NS_PER_MAC = 1;

/** Estimated ns of main-thread work to run `samples` input samples through `t` inline. */
export function estimateNs(t: Pick<Transcoder, 'macsPerInputSample'>, samples: number): number {
  return samples * (NS_PER_SAMPLE + t.macsPerInputSample * NS_PER_MAC);
}

export interface CodecPoolOptions {
  /** Worker threads (default: cores - 1, at least 1). */
  threads?: number;
  /** Batches that may wait for a thread (default 4 per thread); beyond it batches run inline. */
  maxQueue?: number;
  /** Estimated ns of work below which a batch runs inline (default INLINE_BELOW_NS; 0 sends everything). */
  inlineBelowNs?: number;
}

export interface CodecPoolStats {
  pooledBatches: number;
  pooledFrames: number;
  inlineBatches: number;
  inlineFrames: number;
  /** Batches that were worth a hop but found the queue full, and ran inline. */
  overflowBatches: number;
}

export interface PooledTranscoder {
  readonly from: AudioFormat;
  readonly to: AudioFormat;
  /** The frame's output, owned by the caller; frames of one stream resolve in the order they were given. */
  process(data: AudioData): Promise<AudioData>;
  /** After every earlier frame: the held-back tail. The stream is then fresh again. */
  flush(): Promise<AudioData>;
}

const noop = () => {};
/** Piscina's message when `run()` finds its queue at `maxQueue` (piscina 5 `errors.js`, TaskQueueAtLimit). */
const PISCINA_QUEUE_FULL = 'Task queue is at limit';

interface Frame {
  readonly data: AudioData;
  readonly resolve: (out: AudioData) => void;
  readonly reject: (err: unknown) => void;
}

class Stream implements PooledTranscoder {
  readonly key: number;
  readonly t: Transcoder;
  readonly nsPerSample: number;
  readonly queue: Frame[] = [];
  busy = false;
  #last: Promise<unknown> = Promise.resolve();

  constructor(
    readonly pool: CodecPool,
    readonly kind: StreamKind,
  ) {
    this.key = kindKey(kind);
    this.t = createTranscoder(kind.from, kind.to, { quality: kind.quality });
    this.nsPerSample = estimateNs(this.t, 1);
  }

  get from() {
    return this.kind.from;
  }

  get to() {
    return this.kind.to;
  }

  process(data: AudioData): Promise<AudioData> {
    if (this.kind.from.codec !== 'pcm16' && !(data instanceof Uint8Array)) {
      return Promise.reject(new CodecError('codec_unsupported', `${this.kind.from.codec} data must be bytes`));
    }
    if (this.kind.from.codec === 'pcm16' && data.byteLength & 1) {
      return Promise.reject(new CodecError('pcm_odd_length', `PCM16 data holds ${data.byteLength} bytes`));
    }
    const done = new Promise<AudioData>((resolve, reject) => {
      this.queue.push({ data, resolve, reject });
    });
    this.#last = done;
    this.pool.enqueue(this);
    return done;
  }

  async flush(): Promise<AudioData> {
    // Whatever became of the last frame (its caller handles that), the tail comes after it.
    await this.#last.then(noop, noop);
    return this.t.flush().slice();
  }
}

export class CodecPool {
  readonly #piscina: Piscina;
  readonly #threads: number;
  readonly #maxQueue: number;
  readonly #inlineBelowNs: number;
  readonly #pending = new Set<Stream>();
  #scheduled = false;
  #closed = false;
  readonly stats: CodecPoolStats = { pooledBatches: 0, pooledFrames: 0, inlineBatches: 0, inlineFrames: 0, overflowBatches: 0 };

  constructor(opts: CodecPoolOptions = {}) {
    this.#threads = opts.threads ?? Math.max(1, availableParallelism() - 1);
    this.#maxQueue = opts.maxQueue ?? 4 * this.#threads;
    this.#inlineBelowNs = opts.inlineBelowNs ?? INLINE_BELOW_NS;
    const filename = new URL('./pool-worker.ts', import.meta.url).href;
    this.#piscina = new Piscina({
      filename,
      minThreads: this.#threads,
      maxThreads: this.#threads,
      maxQueue: this.#maxQueue,
      idleTimeout: Number.POSITIVE_INFINITY,
      // The worker is TypeScript, run through tsx as the rest of voxbridge: under `node --import tsx` and vitest alike.
      execArgv: filename.endsWith('.ts') ? ['--import', 'tsx'] : [],
    });
  }

  /** A stream from `from` to `to`, transcoded in this pool's batches. */
  open(from: AudioFormat, to: AudioFormat, opts: { quality?: ResampleQuality } = {}): PooledTranscoder {
    return new Stream(this, { from, to, quality: opts.quality ?? 'voice' });
  }

  /** Resolves once every thread has started and loaded the worker (thread start-up is ~100 ms under tsx). */
  async ready(): Promise<void> {
    const empty = packRequest([]);
    await Promise.all(Array.from({ length: this.#threads }, () => this.#piscina.run(empty)));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#piscina.destroy();
  }

  /** @internal called by a stream that has frames queued */
  enqueue(stream: Stream): void {
    if (this.#closed) {
      for (const f of stream.queue.splice(0)) f.reject(new CodecError('pool_closed', 'codec pool is closed'));
      return;
    }
    this.#pending.add(stream);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#dispatch());
    }
  }

  #dispatch(): void {
    this.#scheduled = false;
    const ready: Stream[] = [];
    let estimate = 0;
    for (const s of this.#pending) {
      if (s.busy) continue; // its turn comes when its batch returns
      this.#pending.delete(s);
      ready.push(s);
      for (const f of s.queue) estimate += f.data.length * s.nsPerSample;
    }
    if (ready.length === 0) return;
    if (estimate < this.#inlineBelowNs) {
      this.#runInline(ready);
      return;
    }
    // Split a big batch so each thread gets at least a threshold's worth of work.
    const parts = Math.max(1, Math.min(this.#threads, Math.floor(estimate / Math.max(this.#inlineBelowNs, 1)), ready.length));
    for (const part of partition(ready, parts)) {
      if (this.#piscina.queueSize >= this.#maxQueue) {
        this.stats.overflowBatches++;
        this.#runInline(part);
      } else {
        this.#runPooled(part);
      }
    }
  }

  #runInline(streams: Stream[]): void {
    this.stats.inlineBatches++;
    for (const s of streams) {
      for (const f of s.queue.splice(0)) {
        this.stats.inlineFrames++;
        try {
          f.resolve(s.t.process(f.data).slice());
        } catch (err) {
          f.reject(err);
        }
      }
    }
  }

  #runPooled(streams: Stream[]): void {
    const frames = streams.map((s) => s.queue.splice(0));
    const request = packRequest(streams.map((s, i) => ({ key: s.key, state: s.t, frames: frames[i]!.map((f) => f.data) })));
    for (const s of streams) s.busy = true;
    this.stats.pooledBatches++;
    const settle = () => {
      for (const s of streams) {
        s.busy = false;
        if (s.queue.length > 0) this.enqueue(s);
      }
    };
    this.#piscina.run(Piscina.move(request)).then(
      (bytes: Uint8Array) => {
        const { numbers, results } = unpackResult(
          bytes,
          streams.map((s) => s.kind),
          frames.map((f) => f.length),
        );
        for (const [i, s] of streams.entries()) {
          const { stateAt, stateLength, outputs } = results[i]!;
          s.t.importState(numbers, stateAt, stateLength);
          for (const [j, f] of frames[i]!.entries()) f.resolve(outputs[j]!);
          this.stats.pooledFrames += outputs.length;
        }
        settle();
      },
      (err: unknown) => {
        // Nothing was applied: the streams' state is as before this batch.
        if (err instanceof Error && err.message === PISCINA_QUEUE_FULL) {
          // Lost a race for the last queue slot: the overflow policy applies, the frames run inline, in order.
          for (const [i, s] of streams.entries()) {
            s.queue.unshift(...frames[i]!);
            s.busy = false;
          }
          this.stats.pooledBatches--;
          this.stats.overflowBatches++;
          this.#runInline(streams);
          settle();
          return;
        }
        for (const list of frames) for (const f of list) f.reject(err);
        settle();
      },
    );
  }
}

/** `parts` groups of about equal work (greedy: biggest first, onto the lightest group). */
function partition(streams: Stream[], parts: number): Stream[][] {
  if (parts === 1) return [streams];
  const cost = (s: Stream) => s.queue.reduce((a, f) => a + f.data.length, 0) * s.nsPerSample;
  const groups = Array.from({ length: parts }, () => ({ cost: 0, streams: [] as Stream[] }));
  for (const s of [...streams].sort((a, b) => cost(b) - cost(a))) {
    const lightest = groups.reduce((a, b) => (b.cost < a.cost ? b : a));
    lightest.streams.push(s);
    lightest.cost += cost(s);
  }
  return groups.filter((g) => g.streams.length > 0).map((g) => g.streams);
}
