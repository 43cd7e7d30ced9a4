import { describe, expect, it } from 'vitest';
import { HeardTranscripts } from './heard-transcripts.ts';

describe('HeardTranscripts', () => {
  it('holds a transcript while its audio plays, releases it whole once heard, cuts it on interruption', () => {
    const out: Array<[string, string, boolean]> = [];
    const t = new HeardTranscripts((id, text, cut) => out.push([id, text, cut]));
    t.arrived('a', 'one two three four', 1000, true);
    expect(out).toEqual([]);
    t.played();
    expect(out).toEqual([['a', 'one two three four', false]]);
    t.arrived('b', 'five six seven eight', 1000, true);
    t.arrived('c', 'nine ten', 500, true);
    t.cut('b', 500, 1000);
    expect(out.slice(1)).toEqual([
      ['b', 'five six', true],
      ['c', '', true],
    ]);
    // A transcript arriving after the cut is cut by the same measure.
    t.cut('d', 250, 1000);
    t.arrived('d', 'a b c d', 1000, false);
    expect(out.at(-1)).toEqual(['d', 'a', true]);
  });

  it('holds a bounded number of answers on a line that never falls quiet, releasing the oldest as heard', () => {
    const out: Array<[string, string, boolean]> = [];
    const t = new HeardTranscripts((id, text, truncated) => out.push([id, text, truncated]));
    for (let i = 0; i < 40; i++) t.arrived(`i${i}`, `answer ${i}`, 1000, true);
    expect(t.held).toBe(32);
    expect(out.map((o) => o[0])).toEqual(Array.from({ length: 8 }, (_, i) => `i${i}`));
    expect(out.every((o) => o[2] === false)).toBe(true);
  });
});
