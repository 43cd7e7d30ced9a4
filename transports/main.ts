import { type Config, loadConfig } from '../core/config.ts';
import { loadOrCreateAdminToken } from '../core/admin-token.ts';
import { ConfigError, StorageError } from '../core/errors.ts';
import { createLogger } from '../core/log.ts';
import { RealtimeSimulator } from '../core/realtime/simulator.ts';
import { openStorage, type Storage } from '../core/storage/storage.ts';
import { createToolRegistry } from '../tools/create-tool-registry.ts';
import { followAgentConfig, storageGatewayOptions } from './api-storage-wiring.ts';
import { startGateway } from './gateway.ts';
import { toolRoutes } from './tools-route.ts';

/** `npm start`: the gateway, with the built-in Realtime simulator as the model when no OPENAI_API_KEY is set. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`voxbridge: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  let simulator: RealtimeSimulator | undefined;
  if (!config.OPENAI_API_KEY && !process.env.OPENAI_REALTIME_URL) {
    simulator = new RealtimeSimulator({ keepEnded: 0 });
    await simulator.start();
    config = { ...config, OPENAI_REALTIME_URL: simulator.url };
    log.warn({ url: simulator.url }, 'OPENAI_API_KEY is not set: the model is the built-in Realtime simulator');
  }
  if (!config.TWILIO_AUTH_TOKEN) log.warn('TWILIO_AUTH_TOKEN is not set: Twilio requests and streams are NOT verified');
  if (!config.ADMIN_TOKEN) {
    const admin = loadOrCreateAdminToken(config.DATA_DIR);
    config = { ...config, ADMIN_TOKEN: admin.token };
    log.warn({ file: admin.path }, 'ADMIN_TOKEN is not set: the admin API token is in this file');
  }
  // Storage: DATABASE_URL, or embedded PGlite in DATA_DIR. Tools: built-ins plus the admin-defined ones it stores.
  let storage: Storage;
  try {
    storage = await openStorage(config, log);
  } catch (err) {
    if (err instanceof StorageError) {
      process.stderr.write(`voxbridge: cannot open storage (${err.code}): ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const tools = await createToolRegistry(config, { log, definitions: storage.toolDefinitions.definitions, bus: storage.bus });
  const wired = storageGatewayOptions(storage, log);
  const gateway = await startGateway({
    config,
    log,
    tools: tools.registry,
    ...wired,
    routes: [...wired.routes, toolRoutes(tools.registry)],
  });
  const unfollow = followAgentConfig(storage, gateway);
  gateway.metrics.addSource(() => {
    const w = storage.logWriter.stats();
    return [
      { name: 'voxbridge_log_rows_buffered', help: 'Session log rows waiting to be written.', type: 'gauge', value: w.bufferedRows },
      { name: 'voxbridge_log_rows_written_total', help: 'Session log rows written.', type: 'counter', value: w.writtenRows },
      { name: 'voxbridge_log_rows_dropped_total', help: 'Session log rows dropped (buffer bound reached, or refused).', type: 'counter', value: w.droppedRows },
      { name: 'voxbridge_log_batches_failed_total', help: 'Log write batches that failed and were retried.', type: 'counter', value: w.failedBatches },
    ];
  });
  // A tool definition change reaches live sessions the way a config change does: resent between turns.
  tools.registry.onChange(() => gateway.setAgentConfig(gateway.ctx.agentConfig()));
  log.info({ port: gateway.port, publicUrl: config.PUBLIC_URL }, 'voxbridge ready');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await gateway.close();
    unfollow();
    tools.close();
    // Flushes the sessions' log rows (ended by gateway.close) before the database closes.
    await storage.close();
    simulator?.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

await main();
