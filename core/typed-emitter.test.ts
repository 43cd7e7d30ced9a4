import { describe, expect, it } from 'vitest';
import { TypedEmitter } from './typed-emitter.ts';

describe('TypedEmitter', () => {
  it("drops an 'error' nobody listens to instead of throwing (a socket callback would end the process)", () => {
    const e = new TypedEmitter<{ error: [err: Error]; ping: [n: number] }>();
    expect(e.emit('error', new Error('unheard'))).toBe(false);
    const seen: string[] = [];
    e.on('error', (err) => seen.push(err.message));
    expect(e.emit('error', new Error('heard'))).toBe(true);
    expect(seen).toEqual(['heard']);
  });
});
