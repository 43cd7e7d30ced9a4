import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { PCMU_8K } from '../audio-format.ts';
import { createLogger } from '../log.ts';
import { RealtimeLeg } from './realtime-leg.ts';

let server: WebSocketServer | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

describe('RealtimeLeg heartbeat', () => {
  it('fails a socket whose peer stopped answering pings (a half-open connection), so the session can replace it', async () => {
    // A peer that accepts and then goes silent: no pongs, no close.
    server = new WebSocketServer({ port: 0, host: '127.0.0.1', autoPong: false });
    await new Promise((r) => server!.once('listening', r));
    const port = (server.address() as { port: number }).port;
    const leg = new RealtimeLeg({ url: `ws://127.0.0.1:${port}/v1/realtime`, model: 'm', mode: 'ga', inputFormat: PCMU_8K, outputFormat: PCMU_8K, log: createLogger('silent'), heartbeatMs: 100 });
    const errors: string[] = [];
    leg.events.on('error', (e) => errors.push(e.code));
    const closed = new Promise<void>((r) => leg.events.on('closed', () => r()));
    await new Promise((r) => leg.events.once('open', () => r(undefined)));
    const t0 = performance.now();
    await closed;
    expect(errors).toEqual(['model_unresponsive']);
    expect(performance.now() - t0).toBeLessThan(400);
  });
});
