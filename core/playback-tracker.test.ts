import { describe, expect, it } from 'vitest';
import { PlaybackTracker } from './playback-tracker.ts';

describe('PlaybackTracker', () => {
  it('is idle with nothing sent, and knows nothing is playing', () => {
    const t = new PlaybackTracker();
    expect(t.idle).toBe(true);
    expect(t.position(0)).toBeUndefined();
    expect(t.clear(0)).toBeUndefined();
  });

  it('interpolates by wall clock from the last echo, never past the next unacknowledged mark', () => {
    const t = new PlaybackTracker();
    t.sent('a@100', 'a', 100, 0);
    t.sent('a@200', 'a', 200, 0);
    t.sent('a@300', 'a', 300, 0);
    expect(t.position(50)).toEqual({ itemId: 'a', heardMs: 50 });
    expect(t.position(150)).toEqual({ itemId: 'a', heardMs: 100 }); // capped: a@100 not echoed yet
    expect(t.acknowledged('a@100', 160)).toBe(true);
    expect(t.position(200)).toEqual({ itemId: 'a', heardMs: 140 });
    expect(t.position(400)).toEqual({ itemId: 'a', heardMs: 200 });
  });

  it('starts the next item when the previous one is acknowledged to its end', () => {
    const t = new PlaybackTracker();
    t.sent('a@100', 'a', 100, 0);
    t.sent('b@80', 'b', 80, 0);
    expect(t.acknowledged('a@100', 100)).toBe(true);
    expect(t.position(130)).toEqual({ itemId: 'b', heardMs: 30 });
  });

  it('resumes from the last echo when a starved player gets more of the same item', () => {
    const t = new PlaybackTracker();
    t.sent('a@100', 'a', 100, 0);
    t.acknowledged('a@100', 100);
    expect(t.idle).toBe(true);
    t.sent('a@200', 'a', 200, 500); // arrived late: playback resumes at 500, not at 100
    expect(t.position(520)).toEqual({ itemId: 'a', heardMs: 120 });
  });

  it('clear returns the heard position and ignores the echoes that follow it', async () => {
    const t = new PlaybackTracker();
    t.sent('a@100', 'a', 100, 0);
    t.sent('a@200', 'a', 200, 0);
    const idle = t.whenIdle();
    expect(t.clear(70)).toEqual({ itemId: 'a', heardMs: 70 });
    await idle; // cleared counts as done
    expect(t.acknowledged('a@100', 71)).toBe(false);
    expect(t.acknowledged('a@200', 71)).toBe(false);
    expect(t.position(80)).toBeUndefined();
  });

  it('ignores names it never sent', () => {
    const t = new PlaybackTracker();
    t.sent('a@100', 'a', 100, 0);
    expect(t.acknowledged('zzz', 10)).toBe(false);
    expect(t.pending).toBe(1);
  });
});
