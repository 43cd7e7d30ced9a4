import { describe, expect, it } from 'vitest';
import { InputClock } from './input-clock.ts';

describe('InputClock', () => {
  it('maps a position on the model input clock to when that audio was relayed', () => {
    const c = new InputClock();
    for (let i = 0; i < 2000; i++) c.push(20, 1000 + i * 20);
    expect(c.timeAt(2000 * 20)).toBe(1000 + 1999 * 20);
    expect(c.timeAt(2000 * 20 - 25)).toBe(1000 + 1998 * 20);
    expect(c.timeAt(10)).toBeUndefined(); // older than the ring
    expect(c.timeAt(999_999)).toBeUndefined(); // not sent yet
    c.reset();
    c.push(20, 5);
    expect(c.timeAt(20)).toBe(5);
  });
});
