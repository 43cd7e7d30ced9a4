import type { Logger } from '../core/log.ts';
import type { Storage } from '../core/storage/storage.ts';
import { registerApiRoutes } from './api-routes.ts';
import type { Gateway, GatewayOptions } from './gateway.ts';

/**
 * What a gateway needs from storage: the session sink (batched writes + the live bus feed), the bus, the active agent
 * config to start from, and the admin API routes. Spread into `startGateway`'s options, then `followAgentConfig`.
 */
export function storageGatewayOptions(
  storage: Storage,
  log: Logger,
): Required<Pick<GatewayOptions, 'sink' | 'bus' | 'agentConfig' | 'routes'>> {
  return {
    sink: storage.sink,
    bus: storage.bus,
    agentConfig: storage.liveConfig.current(),
    routes: [(app, ctx) => registerApiRoutes(app, { storage, adminToken: ctx.adminToken, log })],
  };
}

/**
 * Every config saved on any instance becomes the gateway's active config: new calls start from it and live sessions
 * apply it between turns (`Gateway.setAgentConfig` → `Session.configChanged`). Returns the unsubscribe.
 */
export function followAgentConfig(storage: Storage, gateway: Pick<Gateway, 'setAgentConfig'>): () => void {
  // A save between opening storage and starting the gateway is caught up here.
  gateway.setAgentConfig(storage.liveConfig.current());
  return storage.liveConfig.subscribe((config) => gateway.setAgentConfig(config));
}
