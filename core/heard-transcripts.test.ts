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
});
