import { describe, expect, it } from 'vitest';
import { createResampler, type ResampleQuality, SUPPORTED_RATES } from './resample.ts';
import { amplitudeAt, db, fold, sinadDb, tone } from './test-signal.ts';

const PAIRS = SUPPORTED_RATES.flatMap((a) => SUPPORTED_RATES.filter((b) => b !== a).map((b) => [a, b] as const));
const QUALITIES: Array<[ResampleQuality, number]> = [
  ['voice', 60],
  ['high', 90],
];
const PASS_EDGE: Record<number, number> = { 8000: 3400, 16000: 7000, 24000: 10000 };

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The whole signal through a fresh resampler, in 20 ms pieces, then flushed. */
function convert(from: number, to: number, quality: ResampleQuality, x: Int16Array): Int16Array {
  const r = createResampler(from, to, { quality });
  const out = new Int16Array(Math.ceil((x.length * to) / from));
  let w = 0;
  const frame = from / 50;
  for (let i = 0; i < x.length; i += frame) {
    const y = r.process(x.subarray(i, i + frame));
    out.set(y, w);
    w += y.length;
  }
  out.set(r.flush(), w);
  return out;
}

/** An odd frequency not divisible by 3 or 5 near `f` (see test-signal.ts on why). */
function coprime(f: number): number {
  let g = Math.round(f) | 1;
  while (g % 3 === 0 || g % 5 === 0) g += 2;
  return g;
}

describe('createResampler: stream shape', () => {
  it.each(PAIRS)('%i → %i: exact length, chunked == whole, flush gives the delay', (from, to) => {
    for (const [quality] of QUALITIES) {
      const n = from + 7 * (from / 8000); // one second and a bit, still a whole number of output samples
      const x = tone(from, 997, n / from, 20000);
      const whole = createResampler(from, to, { quality });
      const head = Array.from(whole.process(x));
      const tail = Array.from(whole.flush());
      const expected = (n * to) / from;
      expect(head.length).toBe(expected - whole.delay);
      expect(tail.length).toBe(whole.delay);

      // Irregular pieces, including empty and single samples, must give the very same samples.
      const pieces = createResampler(from, to, { quality });
      const got: number[] = [];
      let worstState = 0;
      const sizes = [0, 1, 2, 3, 160, 1, 479, 7, 960, 333];
      for (let i = 0, j = 0; i < n; j++) {
        const size = Math.min(sizes[j % sizes.length]!, n - i);
        got.push(...pieces.process(x.subarray(i, i + size)));
        worstState = Math.max(worstState, pieces.stateLength());
        i += size;
      }
      got.push(...pieces.flush());
      expect(got).toEqual([...head, ...tail]);
      expect(worstState).toBeLessThanOrEqual(pieces.maxStateLength);
    }
  });

  it('keeps output time-aligned with input: 8k → 24k keeps every input sample in place', () => {
    const x = tone(8000, 997, 0.1, 20000);
    const y = convert(8000, 24000, 'voice', x);
    // The Nyquist-filter branch aligned with the input is the input itself.
    for (let i = 0; i < x.length; i++) expect(y[3 * i]).toBe(x[i]);
  });

  it('hands back the same view for equal frames, and reuses its buffer', () => {
    const r = createResampler(8000, 24000);
    const x = tone(8000, 997, 0.2);
    const a = r.process(x.subarray(0, 160));
    const b = r.process(x.subarray(160, 320));
    const c = r.process(x.subarray(320, 480));
    expect(b.length).toBe(480);
    expect(c).toBe(b);
    expect(a.buffer).toBe(b.buffer);
  });

  it('moves a stream between instances through exportState/importState', () => {
    const x = tone(24000, 1009, 0.5);
    const reference = convert(24000, 16000, 'voice', x);
    const first = createResampler(24000, 16000);
    const got = Array.from(first.process(x.subarray(0, 4801)));
    // Through a shared buffer at an offset, as the pool packs it.
    const shared = new Float64Array(5 + first.stateLength());
    expect(first.exportState(shared, 5)).toBe(shared);
    const second = createResampler(24000, 16000);
    second.importState(shared, 5, first.stateLength());
    got.push(...second.process(x.subarray(4801)), ...second.flush());
    expect(got).toEqual(Array.from(reference));
    expect(() => second.importState(new Float64Array([0, 5, 0]))).toThrow(RangeError);
  });

  it('is the identity for equal rates and rejects other rates', () => {
    const x = tone(16000, 997, 0.02);
    const r = createResampler(16000, 16000);
    expect(r.process(x)).toBe(x);
    expect(r.flush().length).toBe(0);
    expect(() => createResampler(44100, 8000)).toThrow(RangeError);
  });
});

describe('createResampler: quality', () => {
  it.each(QUALITIES)('1 kHz through 8k → 24k → 8k (%s): SINAD ≥ 60 dB', (quality) => {
    const x = tone(8000, 1000, 1.2);
    const y = convert(24000, 8000, quality, convert(8000, 24000, quality, x));
    expect(y.length).toBe(x.length);
    const sinad = sinadDb(y, 8000, 1000, 800, 8000);
    expect(sinad).toBeGreaterThanOrEqual(60);
  });

  describe.each(QUALITIES)('%s', (quality, floorDb) => {
    it.each(PAIRS)(`%i → %i: pass band flat ±0.5 dB, images and aliases ≥ ${floorDb} dB down`, (from, to) => {
      const low = Math.min(from, to);
      const pass = PASS_EDGE[low]!;
      const g = gcd(from, to);
      const L = to / g;
      const filterRate = from * L;
      // Pass-band tones, up to the edge; and, when going down, tones in the stop band of the output.
      const tones = [101, 997, pass / 2, pass * 0.8, pass - 3].map(coprime);
      if (from > to) for (let f = to - pass + 7; f < from / 2 - 50; f += (from / 2 - (to - pass)) / 5) tones.push(coprime(f));

      for (const f of tones) {
        const x = tone(from, f, 1.2);
        const y = convert(from, to, quality, x);
        const inAmp = amplitudeAt(x, from, f, Math.round(from * 0.1), from);
        const at = (freq: number) => amplitudeAt(y, to, freq, Math.round(to * 0.1), to);
        const wanted = f <= pass ? f : -1;
        if (wanted > 0) {
          const gain = db(at(f) / inAmp);
          expect(Math.abs(gain), `gain at ${f} Hz: ${gain.toFixed(3)} dB`).toBeLessThanOrEqual(0.5);
        }
        // Everything the tone can turn into: images k·from ± f of the zero-stuffed signal, folded by the output rate.
        let worst = Number.NEGATIVE_INFINITY;
        let worstAt = 0;
        for (let k = 0; k <= L; k++) {
          for (const image of [k * from - f, k * from + f]) {
            if (image < 0 || image > filterRate / 2) continue;
            const spur = fold(image, to);
            if (Math.abs(spur - wanted) < 1 || spur === 0 || spur === to / 2) continue;
            const level = db(at(spur) / inAmp);
            if (level > worst) [worst, worstAt] = [level, spur];
          }
        }
        expect(worst, `tone ${f} Hz: spur at ${worstAt} Hz ${worst.toFixed(1)} dB`).toBeLessThanOrEqual(-floorDb);
      }
    });
  });
});
