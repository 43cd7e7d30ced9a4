import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchResult } from './bench-types.ts';
import { type LoadKind, runLoad } from './relay/load.ts';

/**
 * How much does the gateway cost per relayed frame, and how much latency does it add, as calls grow?
 *
 * Paced calls (one 20 ms frame per call per 20 ms, both directions) through the gateway to the simulator (mirror
 * mode) in another process. Floors measured in the same run under the same load: a bare uWS echo server (CPU per
 * message), and the simulator without the gateway (round trip). Gateway-added latency is the round trip through the
 * gateway minus the round trip straight to the simulator, at the same percentile: two traversals of the gateway.
 */
const childPath = fileURLToPath(new URL('./relay/child.ts', import.meta.url));

interface Server {
  proc: ChildProcess;
  port: number;
  stats(): Promise<{ cpuUs: number; rss: number }>;
  stop(): void;
}

async function startServer(kind: 'echo' | 'sim' | 'gateway', env: Record<string, string> = {}): Promise<Server> {
  const proc = fork(childPath, [kind], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('message', (m: { type: string; port: number }) => (m.type === 'ready' ? resolve(m.port) : reject(new Error('bad ready'))));
    proc.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
  });
  return {
    proc,
    port,
    stats: () =>
      new Promise((resolve) => {
        proc.once('message', (m: { cpuUs: number; rss: number }) => resolve(m));
        proc.send({ type: 'stats' });
      }),
    stop: () => proc.kill('SIGKILL'),
  };
}

interface Measured {
  cpuUsPerMsg: number;
  rttP50: number;
  rttP99: number;
  rssPerCallKb: number;
  sent: number;
  received: number;
}

async function measure(server: Server, url: string, kind: LoadKind, calls: number, warmupMs: number, measureMs: number): Promise<Measured> {
  const before = await server.stats();
  let cpuStart = before.cpuUs;
  // CPU is counted over the measuring window only: take the start reading when warm-up ends.
  const timer = setTimeout(async () => {
    cpuStart = (await server.stats()).cpuUs;
  }, warmupMs);
  const load = await runLoad(url, kind, calls, warmupMs, measureMs);
  clearTimeout(timer);
  const after = await server.stats();
  const relayed = kind === 'echo' ? load.received : load.sent + load.received;
  return {
    cpuUsPerMsg: (after.cpuUs - cpuStart) / Math.max(1, relayed),
    rttP50: load.rtt.quantile(0.5),
    rttP99: load.rtt.quantile(0.99),
    rssPerCallKb: (after.rss - before.rss) / 1024 / calls,
    sent: load.sent,
    received: load.received,
  };
}

export default async function run(ctx: BenchContext): Promise<BenchResult> {
  const grid = ctx.quick ? [50, 100] : [100, 250, 500, 1000];
  const warmupMs = ctx.quick ? 1000 : 2000;
  const measureMs = ctx.quick ? 2000 : 5000;
  const rows: Array<Array<string | number>> = [];
  for (const calls of grid) {
    const echo = await startServer('echo');
    const e = await measure(echo, `ws://127.0.0.1:${echo.port}/`, 'echo', calls, warmupMs, measureMs);
    echo.stop();

    const simDirect = await startServer('sim');
    const d = await measure(simDirect, `ws://127.0.0.1:${simDirect.port}/v1/realtime`, 'realtime', calls, warmupMs, measureMs);
    simDirect.stop();

    const sim = await startServer('sim');
    const gw = await startServer('gateway', { SIM_URL: `ws://127.0.0.1:${sim.port}/v1/realtime` });
    const g = await measure(gw, `ws://127.0.0.1:${gw.port}/call`, 'twilio', calls, warmupMs, measureMs);
    gw.stop();
    sim.stop();

    rows.push([
      calls,
      e.cpuUsPerMsg,
      g.cpuUsPerMsg,
      `${(g.cpuUsPerMsg / e.cpuUsPerMsg).toFixed(2)}×`,
      d.rttP50,
      g.rttP50,
      Math.max(0, g.rttP50 - d.rttP50),
      d.rttP99,
      g.rttP99,
      Math.max(0, g.rttP99 - d.rttP99),
      g.rssPerCallKb,
      `${g.received}/${g.sent}`,
    ]);
  }
  return {
    name: 'relay',
    tables: [
      {
        title: 'Paced calls through the gateway (20 ms mu-law frames both ways) vs a bare uWS echo server and the simulator alone',
        columns: [
          'calls',
          'echo CPU µs/msg',
          'gateway CPU µs/msg',
          'gateway/echo',
          'sim RTT p50 ms',
          'gw RTT p50 ms',
          'added p50 ms',
          'sim RTT p99 ms',
          'gw RTT p99 ms',
          'added p99 ms',
          'gw RSS KiB/call',
          'frames back/sent',
        ],
        rows,
      },
    ],
    notes: [
      'CPU per message: server process CPU time (user+system) over the measuring window ÷ media messages relayed (gateway: caller→model plus model→caller; echo: messages echoed). The gateway also sends a mark per outbound frame and reads its echo; that is part of its cost.',
      'added = round trip through gateway+simulator minus round trip straight to the simulator, same percentile; it covers two traversals of the gateway (caller→model and model→caller).',
      'All processes (load generator, gateway, simulator) share the 2 cores; at high call counts the load generator itself competes for CPU.',
    ],
  };
}
