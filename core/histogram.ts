/**
 * A fixed-memory latency histogram: log-spaced buckets from 1 µs to ~100 s, ~4% apart, so p50/p99 are within a few
 * percent whatever the count. Recording is an add to a typed array: cheap enough for every frame.
 */
const BUCKETS = 512;
const MIN_MS = 0.001;
const GROWTH = 1.04;
const LOG_GROWTH = Math.log(GROWTH);

export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  record(ms: number): void {
    const v = ms > MIN_MS ? ms : MIN_MS;
    let i = Math.floor(Math.log(v / MIN_MS) / LOG_GROWTH);
    if (i >= BUCKETS) i = BUCKETS - 1;
    this.counts[i]!++;
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  /** The value at quantile q (0..1): the upper edge of the bucket holding it, capped at the largest value seen. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const target = q * this.count;
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= target) return Math.min(this.max, MIN_MS * GROWTH ** (i + 1));
    }
    return this.max;
  }

  get mean(): number {
    return this.count ? this.sum / this.count : 0;
  }

  summary(): { count: number; p50: number; p99: number; max: number; mean: number } {
    const r = (x: number) => Math.round(x * 1000) / 1000;
    return { count: this.count, p50: r(this.quantile(0.5)), p99: r(this.quantile(0.99)), max: r(this.max), mean: r(this.mean) };
  }
}
