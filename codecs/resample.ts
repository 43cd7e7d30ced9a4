/**
 * Streaming sample-rate conversion between 8, 16, 24 and 48 kHz: a polyphase windowed-sinc FIR.
 *
 * Design (classic L/M polyphase resampling; Crochiere & Rabiner, "Multirate Digital Signal Processing", 1983):
 * the input is notionally zero-stuffed by L, low-pass filtered at the lower of the two Nyquist frequencies, and every
 * M-th sample kept. Only the taps that meet a non-zero input are ever multiplied, so each output costs about
 * (filter length / L) multiply-adds. Each (rate pair, quality) is designed and compiled once per process and shared
 * by every resampler of that kind; a resampler itself holds only its input history and output buffer.
 *
 * The prototype is an ideal low-pass (sinc) under a Kaiser window, sized with Kaiser's formulas (J. F. Kaiser,
 * "Nonrecursive digital filter design using the I0-sinh window function", ISCAS 1974): beta from the stopband
 * attenuation, length from attenuation and transition width. The cut-off sits exactly at the lower Nyquist
 * frequency and the half-length is a whole number of zero crossings, which makes the filter an L-th (or M-th) band
 * "Nyquist" filter: every tap on a zero crossing is exactly zero and is skipped. For up-sampling that means one
 * polyphase branch in L is the input sample itself (a third of 8k→24k costs nothing); for down-sampling one tap in M
 * is skipped.
 *
 * The transition band is set by the pass band that must stay flat: 0-3.4 kHz when one side is 8 kHz (telephone
 * band), 0-7 kHz at 16 kHz, 0-10 kHz at 24 kHz. It is symmetric about the lower Nyquist, so anything that images or
 * aliases into the kept pass band is attenuated by the full stopband figure: `voice` ≥ 60 dB, `high` ≥ 90 dB.
 *
 * Timing: output sample k is the input signal at time k / toRate, with no leading transient, so 8k→24k→8k hands the
 * original signal back in place. The price is `delay`: the last `delay` output samples of a stream are held back
 * until enough input has arrived to compute them, and `flush()` produces them from zero padding.
 */

export type ResampleQuality = 'voice' | 'high';

export interface ResamplerOptions {
  /** 'voice' (default): ≥ 60 dB stopband, short filter. 'high': ≥ 90 dB stopband (recordings, analysis). */
  quality?: ResampleQuality;
}

export interface Resampler {
  /**
   * Converts the next piece of the stream. The returned array is a view into the resampler's own output buffer,
   * valid until the next call to `process()` or `flush()`; copy it (or encode it) before then. When the output
   * length is the same as last time the same view is handed back, so a steady stream of equal frames allocates
   * nothing at all.
   */
  process(input: Int16Array): Int16Array;
  /** Ends the stream: returns the held-back `delay` samples (computed with zero padding) and resets the state. */
  flush(): Int16Array;
  /** Output samples held back at any time: the added latency is `delay / toRate` seconds. */
  readonly delay: number;
  readonly fromRate: number;
  readonly toRate: number;
  /** Multiply-adds per output sample, on average: the unit the pool uses to estimate work. */
  readonly macsPerOutput: number;
  /** Drops all state, as if freshly created. */
  reset(): void;
  /** How many numbers `exportState` writes now. */
  stateLength(): number;
  /** The most `stateLength()` can be after a `process()` call, whatever the input (for sizing transfer buffers). */
  readonly maxStateLength: number;
  /**
   * The stream state (position and held input), for moving a stream to a worker thread and back: written into
   * `into` at `offset` (no allocation), or into a new array.
   */
  exportState(into?: Float64Array, offset?: number): Float64Array;
  /** Restores a state written by `exportState`, read from `state[offset … offset + length)`. */
  importState(state: Float64Array, offset?: number, length?: number): void;
}

export const SUPPORTED_RATES: readonly number[] = [8000, 16000, 24000, 48000];

/** Upper edge of the pass band that must stay flat, keyed by the lower of the two rates. */
const PASS_EDGE_HZ: Record<number, number> = { 8000: 3400, 16000: 7000, 24000: 10000, 48000: 20000 };

/**
 * Design attenuation, 2 dB over the promise. For these lengths Kaiser's formulas land within 0.6 dB of the target:
 * the worst stop-band point of any rate pair, found on a dense frequency grid, is 61.4 dB for 'voice' and 91.9 dB
 * for 'high'.
 */
const DESIGN_ATTENUATION_DB: Record<ResampleQuality, number> = { voice: 62, high: 92 };

/** Input samples converted and filtered per step of a long `process()` call. */
const BLOCK = 4096;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for the betas used here). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

type Kernel = (buf: Float64Array, out: Int16Array, base: number, s: number, at: number, end: number) => void;

/**
 * The polyphase filter for one (from, to, quality). Output k = qL + s ("slot" s) is a dot product of fixed
 * coefficients with inputs at fixed offsets from index qM + newest[s].
 */
interface Plan {
  readonly L: number;
  readonly M: number;
  /** Half-length of the prototype at the filter rate (from × L); a multiple of max(L, M). */
  readonly D: number;
  readonly delay: number;
  /** Newest input index used by output k = qL + s is qM + newest[s]. */
  readonly newest: Int32Array;
  /** Writes out[at … end) from slot `s` on, reading `buf` around `base + newest[s]`; see `compileKernel`. */
  readonly kernel: Kernel;
  /** Input samples before the newest one that any output reads. */
  readonly span: number;
  readonly macsPerOutput: number;
}

const plans = new Map<string, Plan>();

function planFor(fromRate: number, toRate: number, quality: ResampleQuality): Plan {
  const key = `${fromRate}:${toRate}:${quality}`;
  let plan = plans.get(key);
  if (plan === undefined) {
    plan = design(fromRate, toRate, quality);
    plans.set(key, plan);
  }
  return plan;
}

function design(fromRate: number, toRate: number, quality: ResampleQuality): Plan {
  const g = gcd(fromRate, toRate);
  const L = toRate / g;
  const M = fromRate / g;
  const Z = Math.max(L, M);
  const low = Math.min(fromRate, toRate);
  const filterRate = fromRate * L;
  const pass = PASS_EDGE_HZ[low]!;
  const transition = (2 * Math.PI * (low - 2 * pass)) / filterRate;
  const A = DESIGN_ATTENUATION_DB[quality];
  const order = Math.ceil((A - 7.95) / (2.285 * transition));
  const D = Math.ceil(order / 2 / Z) * Z;
  const beta = 0.1102 * (A - 8.7);
  const fc = 0.5 / Z; // cycles per filter-rate sample: the lower Nyquist frequency
  const i0beta = besselI0(beta);

  const h = new Float64Array(2 * D + 1);
  for (let j = 0; j <= 2 * D; j++) {
    const t = j - D;
    if (t !== 0 && t % Z === 0) continue; // a zero crossing of the sinc: exactly zero
    const x = 2 * fc * t;
    const sinc = t === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const r = t / D;
    // Gain L makes up for the zero stuffing.
    h[j] = L * 2 * fc * sinc * (besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0beta);
  }

  // Taps of one slot are h[phase + iL] against input newest - i. Only non-zero taps are kept: when L ≥ M the zeros
  // fill one whole slot (bar its centre tap), when M > L they recur every M-th tap of each slot.
  const newest = new Int32Array(L);
  const slots: Array<Array<[offset: number, c: number]>> = [];
  let span = 0;
  let macs = 0;
  for (let s = 0; s < L; s++) {
    const t0 = s * M + D;
    newest[s] = Math.floor(t0 / L);
    const phase = t0 % L;
    const taps: Array<[offset: number, c: number]> = [];
    for (let i = 0; phase + i * L <= 2 * D; i++) {
      const c = h[phase + i * L]!;
      if (c !== 0) taps.push([newest[s]! - i, c]);
    }
    taps.reverse(); // oldest input first
    span = Math.max(span, newest[s]! - taps[0]![0]);
    macs += taps.length;
    slots.push(taps);
  }
  return { L, M, D, delay: Math.ceil(D / M), newest, kernel: compileKernel(M, slots), span, macsPerOutput: macs / L };
}

/**
 * Generates the filter loop for one plan with every coefficient and offset as a literal. Whole periods (L outputs
 * from M new inputs; two at a time for a decimator, whose period is one output) run in a loop that loads each
 * input once into a local and computes every output of the group from the locals, since neighbouring outputs read
 * overlapping inputs; a partial period at either end goes output by output.
 * On this project's machines the 8k→24k voice filter runs at ~0.6 ns per multiply-add, against ~1.4 ns for the
 * same dot products read from coefficient tables in a loop (loop and index overhead dominate such short filters);
 * bench/codecs.bench.ts measures the result. The source is built from numbers computed above only, never input.
 */
function compileKernel(M: number, slots: Array<Array<[offset: number, c: number]>>): Kernel {
  const L = slots.length;
  const emit = (expr: string) =>
    `{ const v = Math.round(${expr}); out[o++] = v > 32767 ? 32767 : v < -32768 ? -32768 : v; if (o === end) return; }`;
  const direct = (offset: number) => `b[base+${offset}]`;
  // One output at a time, entering at any slot (the cases fall through to the end of the period).
  const single = slots.map((taps, s) => `case ${s}: ${emit(dotProduct(taps, direct))}`).join('\n');
  // A decimator (L = 1) has one output per period; two periods at a time let neighbouring outputs share loads.
  const periods = L === 1 ? 2 : 1;
  const outputsOf = slots.flatMap((taps) => Array.from({ length: periods }, (_, p) => ({ p, taps })));
  outputsOf.sort((a, b) => a.p - b.p); // period by period, slots in order within each
  const offsets = [...new Set(outputsOf.flatMap(({ p, taps }) => taps.map(([offset]) => offset + p * M)))].sort((a, b) => a - b);
  const local = (offset: number) => `x${offset - offsets[0]!}`;
  const loads = offsets.map((offset) => `const ${local(offset)} = b[base+${offset}];`).join(' ');
  const outputs = outputsOf
    .map(({ p, taps }) => {
      const expr = dotProduct(taps, (offset) => local(offset + p * M));
      return `{ const v = Math.round(${expr}); out[o++] = v > 32767 ? 32767 : v < -32768 ? -32768 : v; }`;
    })
    .join('\n');
  const group = `{ ${loads}\n${outputs} }`;
  const source = `"use strict";
let o = at;
if (o >= end) return;
if (s !== 0) {
  switch (s) {
${single}
  }
  base += ${M};
}
while (end - o >= ${L * periods}) {
  ${group}
  base += ${M * periods};
}
while (end - o >= ${L}) {
  switch (0) {
${single}
  }
  base += ${M};
}
if (o === end) return;
s = 0;
switch (s) {
${single}
}`;
  return new Function('b', 'out', 'base', 's', 'at', 'end', source) as Kernel;
}

/**
 * The dot product of one slot as an expression, reading input `offset` through `load`. A linear-phase prototype
 * makes the taps of a slot centred on a prototype tap (every slot of a decimator, the odd slot of 1:2) a
 * palindrome; those pairs share one multiply.
 */
function dotProduct(taps: Array<[offset: number, c: number]>, load: (offset: number) => string): string {
  const n = taps.length;
  let palindrome = true;
  for (let i = 0; i < n >> 1 && palindrome; i++) palindrome = taps[i]![1] === taps[n - 1 - i]![1];
  if (!palindrome) return taps.map(([offset, c]) => `${c}*${load(offset)}`).join('+');
  const terms: string[] = [];
  for (let i = 0; i < n >> 1; i++) terms.push(`${taps[i]![1]}*(${load(taps[i]![0])}+${load(taps[n - 1 - i]![0])})`);
  if (n & 1) terms.push(`${taps[n >> 1]![1]}*${load(taps[n >> 1]![0])}`);
  return terms.join('+');
}

/** Same rate: the input is the output. Kept as a resampler so callers need no special case. */
function identity(rate: number): Resampler {
  const empty = new Int16Array(0);
  return {
    process: (input) => input,
    flush: () => empty,
    delay: 0,
    fromRate: rate,
    toRate: rate,
    macsPerOutput: 0,
    reset() {},
    stateLength: () => 0,
    maxStateLength: 0,
    exportState: (into) => into ?? new Float64Array(0),
    importState() {},
  };
}

export function createResampler(fromRate: number, toRate: number, opts: ResamplerOptions = {}): Resampler {
  for (const r of [fromRate, toRate]) {
    if (!SUPPORTED_RATES.includes(r)) throw new RangeError(`unsupported sample rate ${r} (use ${SUPPORTED_RATES})`);
  }
  if (fromRate === toRate) return identity(fromRate);
  return new PolyphaseResampler(fromRate, toRate, planFor(fromRate, toRate, opts.quality ?? 'voice'));
}

class PolyphaseResampler implements Resampler {
  readonly delay: number;
  readonly macsPerOutput: number;
  readonly maxStateLength: number;
  readonly #p: Plan;
  /** Inputs from absolute index `#start` to `#inCount` - 1, as float (converted once, read by ~D/L outputs). */
  #buf: Float64Array;
  #start = 0;
  #inCount = 0;
  #outCount = 0;
  #out: Int16Array;
  #view: Int16Array;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
    plan: Plan,
  ) {
    this.#p = plan;
    this.delay = plan.delay;
    this.macsPerOutput = plan.macsPerOutput;
    // After a call the history runs from the oldest input the next output reads to the newest input received,
    // which is at most one period (M inputs) past the newest input that output reads.
    this.maxStateLength = 3 + plan.span + plan.M + 1;
    // Room for a 20 ms frame at 48 kHz; grows (once) if a caller sends bigger pieces.
    this.#buf = new Float64Array(plan.span + 2 + 960);
    this.#out = new Int16Array(Math.ceil((960 * plan.L) / plan.M) + plan.delay + 1);
    this.#view = this.#out.subarray(0, 0);
    this.reset();
  }

  reset(): void {
    // Inputs before time 0 are zeros; the first output reads back to index ceil(-D / L).
    this.#start = Math.ceil(-this.#p.D / this.#p.L) - 1;
    this.#inCount = 0;
    this.#outCount = 0;
    this.#buf.fill(0);
  }

  process(input: Int16Array): Int16Array {
    const n = input.length;
    const total = this.#targetAfter(this.#inCount + n) - this.#outCount;
    if (total > this.#out.length) this.#out = new Int16Array(total + (total >> 1));
    // Long inputs go through in blocks, so the float history stays small and in cache whatever the call size.
    let written = 0;
    for (let at = 0; at < n; at += BLOCK) {
      const end = Math.min(n, at + BLOCK);
      this.#reserveInput(end - at);
      const buf = this.#buf;
      const w = this.#inCount - this.#start - at;
      for (let i = at; i < end; i++) buf[w + i] = input[i]!;
      this.#inCount += end - at;
      written += this.#emit(this.#targetAfter(this.#inCount), written, true);
    }
    return this.#viewOf(written);
  }

  /** Outputs that may have been emitted once `inCount` inputs have arrived: all but the last `delay`. */
  #targetAfter(inCount: number): number {
    const { L, M } = this.#p;
    return Math.max(0, Math.floor((inCount * L + M - 1) / M) - this.delay);
  }

  flush(): Int16Array {
    const { L, M, D } = this.#p;
    const target = Math.floor((this.#inCount * L + M - 1) / M);
    const count = target - this.#outCount;
    if (count > 0) {
      if (count > this.#out.length) this.#out = new Int16Array(count);
      // Zero padding past the end of the input, up to the newest index the last output reads.
      const last = Math.floor(((target - 1) * M + D) / L);
      const pad = Math.max(0, last + 1 - this.#inCount);
      this.#reserveInput(pad);
      const from = this.#inCount - this.#start;
      this.#buf.fill(0, from, from + pad);
      this.#emit(target, 0, false);
    }
    const out = this.#viewOf(Math.max(0, count));
    this.reset();
    return out;
  }

  stateLength(): number {
    return 3 + this.#inCount - this.#start;
  }

  exportState(into?: Float64Array, offset = 0): Float64Array {
    const held = this.#inCount - this.#start;
    const state = into ?? new Float64Array(3 + held);
    if (state.length < offset + 3 + held) throw new RangeError('state does not fit');
    state[offset] = this.#start;
    state[offset + 1] = this.#inCount;
    state[offset + 2] = this.#outCount;
    const buf = this.#buf;
    for (let i = 0; i < held; i++) state[offset + 3 + i] = buf[i]!;
    return state;
  }

  importState(state: Float64Array, offset = 0, length = state.length - offset): void {
    const held = length - 3;
    if (held < 0 || state[offset + 1]! - state[offset]! !== held) throw new RangeError('not a resampler state');
    this.#start = state[offset]!;
    this.#inCount = state[offset + 1]!;
    this.#outCount = state[offset + 2]!;
    this.#reserveInput(0);
    const buf = this.#buf;
    for (let i = 0; i < held; i++) buf[i] = state[offset + 3 + i]!;
  }

  /** Makes room for `n` more inputs after the held ones; allocates only when a bigger piece than ever arrives. */
  #reserveInput(n: number): void {
    const need = this.#inCount - this.#start + n;
    if (need > this.#buf.length) {
      const grown = new Float64Array(need + (need >> 1));
      grown.set(this.#buf);
      this.#buf = grown;
    }
  }

  /** Computes outputs up to `target` into `#out` from index `at`; returns how many. */
  #emit(target: number, at: number, compact: boolean): number {
    const p = this.#p;
    const count = target - this.#outCount;
    if (count <= 0) return 0;
    let k = this.#outCount;
    let q = Math.floor(k / p.L);
    let s = k - q * p.L;
    p.kernel(this.#buf, this.#out, q * p.M - this.#start, s, at, at + count);
    k += count;
    this.#outCount = k;
    if (compact) {
      // Keep only what future outputs read: from the oldest input of output k on.
      q = Math.floor(k / p.L);
      s = k - q * p.L;
      const keepFrom = Math.min(q * p.M + p.newest[s]! - p.span, this.#inCount);
      if (keepFrom > this.#start) {
        this.#buf.copyWithin(0, keepFrom - this.#start, this.#inCount - this.#start);
        this.#start = keepFrom;
      }
    }
    return count;
  }

  #viewOf(n: number): Int16Array {
    if (this.#view.length !== n || this.#view.buffer !== this.#out.buffer) this.#view = this.#out.subarray(0, n);
    return this.#view;
  }
}
