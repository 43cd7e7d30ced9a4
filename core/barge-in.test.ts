import { describe, expect, it } from 'vitest';
import { truncationsFor } from './barge-in.ts';

const model = (sent: Record<string, number>) => ({ audioMsOf: (id: string) => sent[id] ?? 0, knowsItem: (id: string) => id in sent });

describe('truncationsFor', () => {
  it('cuts the item being heard at the heard position, clamped to what the model sent', () => {
    expect(truncationsFor({ itemId: 'a', heardMs: 700 }, undefined, 'a', model({ a: 500 }))).toEqual([{ itemId: 'a', audioEndMs: 500, sentMs: 500, send: true }]);
    expect(truncationsFor({ itemId: 'a', heardMs: 320 }, 'a', 'a', model({ a: 900 }))).toEqual([{ itemId: 'a', audioEndMs: 320, sentMs: 900, send: true }]);
  });

  it('cuts an item still streaming that the caller has not begun to hear at 0', () => {
    expect(truncationsFor({ itemId: 'a', heardMs: 100 }, 'b', 'a', model({ a: 300, b: 0 }))).toEqual([
      { itemId: 'a', audioEndMs: 100, sentMs: 300, send: true },
      { itemId: 'b', audioEndMs: 0, sentMs: 0, send: true },
    ]);
    expect(truncationsFor(undefined, 'b', 'a', model({ b: 200 }))).toEqual([{ itemId: 'b', audioEndMs: 0, sentMs: 200, send: true }]);
  });

  it('takes a streaming item as heard to where it was sent when nothing was pending at the caller', () => {
    expect(truncationsFor(undefined, 'b', 'b', model({ b: 640 }))).toEqual([{ itemId: 'b', audioEndMs: 640, sentMs: 640, send: true }]);
  });

  it('does not send a truncate for an item of a retired connection', () => {
    const retired = { audioMsOf: () => 900, knowsItem: () => false };
    expect(truncationsFor({ itemId: 'old', heardMs: 250 }, undefined, 'old', retired)).toEqual([{ itemId: 'old', audioEndMs: 250, sentMs: 900, send: false }]);
  });
});
