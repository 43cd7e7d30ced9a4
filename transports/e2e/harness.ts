import { makeConfig, type Config } from '../../core/config.ts';
import { createLogger } from '../../core/log.ts';
import { RealtimeSimulator, type SimulatorOptions } from '../../core/realtime/simulator.ts';
import type { SimSession } from '../../core/realtime/simulator-session.ts';
import { type Gateway, type GatewayOptions, startGateway } from '../gateway.ts';

export interface Harness {
  sim: RealtimeSimulator;
  gateway: Gateway;
  /** ws://127.0.0.1:PORT/call */
  callUrl: string;
  httpUrl: string;
  close(): Promise<void>;
}

/** A gateway and a Realtime simulator on loopback, both real servers on ephemeral ports. */
export async function startHarness(
  opts: { sim?: SimulatorOptions; config?: Partial<Record<keyof Config, string | number>>; gateway?: Partial<GatewayOptions> } = {},
): Promise<Harness> {
  const sim = new RealtimeSimulator({ firstAudioDelayMs: 20, realtimeFactor: Number.POSITIVE_INFINITY, ...opts.sim });
  await sim.start();
  const config = makeConfig({ PORT: 0, HOST: '127.0.0.1', OPENAI_REALTIME_URL: sim.url, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', ...opts.config });
  const gateway = await startGateway({ config, log: createLogger(config.LOG_LEVEL), ...opts.gateway });
  return {
    sim,
    gateway,
    callUrl: `ws://127.0.0.1:${gateway.port}/call`,
    httpUrl: `http://127.0.0.1:${gateway.port}`,
    async close() {
      await gateway.close();
      sim.close();
    },
  };
}

export { waitFor } from '../../core/wait-for.ts';

/** The simulator session whose received audio starts with these bytes (how a test finds "its" model session). */
export function sessionFor(sim: RealtimeSimulator, audio: Uint8Array): SimSession | undefined {
  const head = Buffer.from(audio.subarray(0, 320));
  return sim.sessions.find((s) => Buffer.from(s.inputAudio.subarray(0, 320)).equals(head));
}
