import type { AgentConfig } from './agent-config.ts';
import type { Bus } from './bus.ts';
import type { Config } from './config.ts';
import type { Logger } from './log.ts';
import type { SessionSink } from './session-events.ts';
import type { ToolRegistry } from './tool-registry.ts';

/**
 * Everything a route or a session needs from the running gateway, passed in (never imported as module state), so
 * any number of gateways can run in one process — as the tests do.
 */
export interface GatewayContext {
  readonly config: Config;
  readonly log: Logger;
  readonly tools: ToolRegistry;
  /** Where sessions' events go: storage (batched) and the bus. */
  readonly sink: SessionSink;
  readonly bus: Bus;
  /** The active agent config, kept current from the bus. */
  agentConfig(): AgentConfig;
  /** Token the admin API, `/logs` and voice chat require (generated at start when ADMIN_TOKEN is unset). */
  readonly adminToken: string;
}
