/**
 * Test signals and their measurement, for the codec tests and the bench: coherent sine tones and a single-bin DFT.
 *
 * Every tone here has a whole number of cycles in the analysis window (integer Hz over one second), so one DFT bin
 * holds all of its energy with a rectangular window: no leakage, no window sidelobes to mistake for aliases or
 * images. Frequencies coprime to 30 keep the rounding error of a quantized tone from being periodic, which would
 * pile it into a few bins (possibly exactly the image bins under test) instead of spreading it thin.
 */

/** A sine tone, rounded to 16-bit: `amplitude * sin(2π f n / rate)`. */
export function tone(rate: number, freq: number, seconds: number, amplitude = 29000): Int16Array {
  const n = Math.round(rate * seconds);
  const out = new Int16Array(n);
  const w = (2 * Math.PI * freq) / rate;
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin(w * i));
  return out;
}

/**
 * Amplitude of the component at `freq` in `x[start … start + len)` (a single DFT bin, computed directly; exact for a
 * coherent tone). Uses the angle-addition recurrence in double precision, re-seeded every 1024 samples.
 */
export function amplitudeAt(x: ArrayLike<number>, rate: number, freq: number, start: number, len: number): number {
  const w = (2 * Math.PI * freq) / rate;
  let re = 0;
  let im = 0;
  const cw = Math.cos(w);
  const sw = Math.sin(w);
  let c = 1;
  let s = 0;
  for (let i = 0; i < len; i++) {
    if ((i & 1023) === 0) {
      c = Math.cos(w * i);
      s = Math.sin(w * i);
    }
    const v = x[start + i]!;
    re += v * c;
    im -= v * s;
    const c2 = c * cw - s * sw;
    s = s * cw + c * sw;
    c = c2;
  }
  const scale = freq === 0 || 2 * freq === rate ? 1 / len : 2 / len;
  return Math.hypot(re, im) * scale;
}

/** Mean power of `x[start … start + len)`. */
export function meanPower(x: ArrayLike<number>, start: number, len: number): number {
  let sum = 0;
  for (let i = start; i < start + len; i++) sum += x[i]! * x[i]!;
  return sum / len;
}

/**
 * Signal to noise-and-distortion ratio of a tone at `freq`: its power against everything else in the window
 * (harmonics, aliases, images, rounding noise, DC).
 */
export function sinadDb(x: ArrayLike<number>, rate: number, freq: number, start: number, len: number): number {
  const a = amplitudeAt(x, rate, freq, start, len);
  const signal = (a * a) / 2;
  return 10 * Math.log10(signal / Math.max(meanPower(x, start, len) - signal, 1e-30));
}

export const db = (ratio: number): number => 20 * Math.log10(ratio);

/** Where a component at `freq` lands when sampled at `rate` (folded into 0 … rate / 2). */
export function fold(freq: number, rate: number): number {
  const f = ((freq % rate) + rate) % rate;
  return f > rate / 2 ? rate - f : f;
}
