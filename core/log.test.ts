import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskPhone } from './log.ts';

function capture() {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { log: createLogger('info', dest), lines };
}

describe('logging', () => {
  it('redacts secrets and phone numbers, at the top level and one level down', () => {
    const { log, lines } = capture();
    log.child({ sessionId: 's1', leg: 'phone' }).info(
      { apiKey: 'sk-secret', from: '+15551234567', to: '+15557654321', call: { from: '+15550000000', token: 'tok' }, headers: { authorization: 'Bearer x' } },
      'call started',
    );
    const text = lines.join('');
    for (const secret of ['sk-secret', '+15551234567', '+15557654321', '+15550000000', 'tok"', 'Bearer x']) expect(text).not.toContain(secret);
    const rec = JSON.parse(lines[0]!);
    expect(rec.msg).toBe('call started');
    expect(rec.sessionId).toBe('s1');
    expect(rec.from).toBe('[redacted]');
  });

  it('masks phone numbers to their last two digits', () => {
    expect(maskPhone('+15551234567')).toBe('**********67');
    expect(maskPhone(undefined)).toBeUndefined();
  });
});
