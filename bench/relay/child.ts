import uWS from 'uWebSockets.js';
import { makeConfig } from '../../core/config.ts';
import { createLogger } from '../../core/log.ts';
import { RealtimeSimulator } from '../../core/realtime/simulator.ts';
import { startGateway } from '../../transports/gateway.ts';

/**
 * One server of the relay bench, in its own process so its CPU is its own: `echo` (the floor: a bare uWS echo
 * server), `sim` (the Realtime simulator in mirror mode), or `gateway` (voxbridge aimed at SIM_URL).
 * Answers `{ type: 'stats' }` over IPC with CPU time and RSS.
 */
const kind = process.argv[2];
let port = 0;

if (kind === 'echo') {
  const app = uWS.App().ws('/*', {
    compression: uWS.DISABLED,
    maxPayloadLength: 64 * 1024,
    idleTimeout: 0,
    message: (ws, message, isBinary) => {
      ws.send(message, isBinary);
    },
  });
  port = await new Promise<number>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (s) => (s ? resolve(uWS.us_socket_local_port(s)) : reject(new Error('listen failed')))),
  );
} else if (kind === 'sim') {
  const sim = new RealtimeSimulator({ mirror: true, keepEnded: 0 });
  port = await sim.start();
} else if (kind === 'gateway') {
  const config = makeConfig({ PORT: 0, HOST: '127.0.0.1', OPENAI_REALTIME_URL: process.env.SIM_URL ?? '', LOG_LEVEL: 'error' });
  const gateway = await startGateway({ config, log: createLogger('error') });
  port = gateway.port;
} else {
  throw new Error(`unknown server kind: ${kind}`);
}

process.on('message', (m: { type?: string }) => {
  if (m?.type === 'stats') {
    const cpu = process.cpuUsage();
    process.send?.({ type: 'stats', cpuUs: cpu.user + cpu.system, rss: process.memoryUsage().rss });
  }
});
process.on('SIGINT', () => process.exit(0));
process.send?.({ type: 'ready', port });
