import { randomBytes } from 'node:crypto';
import uWS from 'uWebSockets.js';
import { type AgentConfig, defaultAgentConfig } from '../core/agent-config.ts';
import type { AudioFormat } from '../core/audio-format.ts';
import type { Bus } from '../core/bus.ts';
import { LocalBus } from '../core/bus/local-bus.ts';
import type { Config } from '../core/config.ts';
import type { GatewayContext } from '../core/gateway-context.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { GatewayMetrics } from '../core/metrics.ts';
import { ModelPrewarm } from '../core/model-prewarm.ts';
import { RealtimeLeg } from '../core/realtime/realtime-leg.ts';
import { sessionUpdate } from '../core/realtime/session-update.ts';
import { nullSink, type SessionSink } from '../core/session-events.ts';
import { Session } from '../core/session.ts';
import { emptyToolRegistry, type ToolRegistry } from '../core/tool-registry.ts';
import { PCM16_24K, PCMA_8K, PCMU_8K } from '../core/audio-format.ts';
import { registerHealthRoutes } from './health-routes.ts';
import { registerTwilioStreamRoute } from './twilio-stream.ts';
import { registerTwimlRoute } from './twilio-twiml.ts';

export interface GatewayOptions {
  config: Config;
  log?: Logger;
  tools?: ToolRegistry;
  sink?: SessionSink;
  bus?: Bus;
  /** The active agent config at start (storage loads it); defaults come from the environment. */
  agentConfig?: AgentConfig;
  /** Extra routes (admin API, dashboard) registered on the same app. */
  routes?: Array<(app: uWS.TemplatedApp, ctx: GatewayContext) => void>;
}

export interface Gateway {
  readonly port: number;
  readonly ctx: GatewayContext;
  readonly metrics: GatewayMetrics;
  readonly sessions: ReadonlySet<Session>;
  /** Makes `config` the active agent config: new calls start from it, live sessions apply it between turns. */
  setAgentConfig(config: AgentConfig): void;
  close(): Promise<void>;
}

/** The formats the Realtime API takes: G.711 at 8 kHz, PCM16 at 24 kHz. */
const MODEL_FORMATS: Record<'pcm16' | 'pcmu' | 'pcma', AudioFormat> = { pcm16: PCM16_24K, pcmu: PCMU_8K, pcma: PCMA_8K };

/** The agent config used when storage has none: defaults, with the model and API mode from the environment. */
export function envAgentConfig(config: Config): AgentConfig {
  return defaultAgentConfig({ model: config.OPENAI_MODEL, apiMode: config.OPENAI_API_MODE });
}

/**
 * Builds and starts one gateway: a uWS app with every route, its sessions, its metrics. Nothing lives at module
 * level, so tests and the bench run several in one process.
 */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const { config } = opts;
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  const metrics = new GatewayMetrics();
  const sessions = new Set<Session>();
  const liveCalls = new Set<string>();
  const prewarm = new ModelPrewarm();
  let active = opts.agentConfig ?? envAgentConfig(config);

  const ctx: GatewayContext = {
    config,
    log,
    tools: opts.tools ?? emptyToolRegistry,
    sink: opts.sink ?? nullSink,
    bus: opts.bus ?? new LocalBus(log),
    agentConfig: () => active,
    adminToken: config.ADMIN_TOKEN ?? randomBytes(24).toString('base64url'),
  };

  const modelAudio = config.MODEL_AUDIO;
  const openModel = (agent: AgentConfig, callerFormat: AudioFormat, legLog: Logger): RealtimeLeg => {
    const format = modelAudio === 'caller' ? callerFormat : MODEL_FORMATS[modelAudio];
    const leg = new RealtimeLeg({
      url: config.OPENAI_REALTIME_URL,
      model: agent.model,
      mode: agent.apiMode,
      apiKey: config.OPENAI_API_KEY,
      inputFormat: format,
      outputFormat: format,
      log: legLog.child({ leg: 'model' }),
    });
    leg.send(sessionUpdate(agent.apiMode, { config: agent, inputFormat: format, outputFormat: format, tools: ctx.tools.schemas(agent.enabledTools) }));
    return leg;
  };

  const app = uWS.App();
  registerHealthRoutes(app, ctx, metrics);
  registerTwimlRoute(app, ctx, {
    prewarm: (callSid) => {
      if (!prewarm.has(callSid)) prewarm.put(callSid, openModel(active, PCMU_8K, log.child({ callSid })));
    },
  });
  registerTwilioStreamRoute(app, {
    log,
    authToken: config.TWILIO_AUTH_TOKEN,
    publicBase: config.PUBLIC_URL,
    onInvalid: () => metrics.counters.invalidMessages++,
    onCall: (leg) => {
      const callSid = leg.info?.callSid;
      // One stream per call: a second `start` for a live CallSid is a replay, and its tools would act on that call.
      if (callSid && liveCalls.has(callSid)) {
        log.warn({ callSid }, 'second stream for a live call refused');
        metrics.counters.invalidMessages++;
        leg.close('duplicate stream for this call');
        return;
      }
      const warm = callSid ? prewarm.take(callSid) : undefined;
      const session = new Session({ ctx, metrics, caller: leg, openModel, model: warm?.usable ? warm : undefined, info: leg.info });
      if (warm && !warm.usable) warm.close('stale');
      sessions.add(session);
      if (callSid) liveCalls.add(callSid);
      session.onEnded(() => {
        sessions.delete(session);
        if (callSid) liveCalls.delete(callSid);
      });
    },
  });
  for (const route of opts.routes ?? []) route(app, ctx);
  app.any('/*', (res) => {
    res.cork(() => res.writeStatus('404 Not Found').writeHeader('content-type', 'application/json').end('{"error":{"code":"not_found","message":"no such route"}}'));
  });

  const listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen(config.HOST, config.PORT, (socket) => (socket ? resolve(socket) : reject(new Error(`cannot listen on ${config.HOST}:${config.PORT}`))));
  });
  const port = uWS.us_socket_local_port(listenSocket);
  log.info({ port }, 'gateway listening');

  return {
    port,
    ctx,
    metrics,
    sessions,
    setAgentConfig(next) {
      active = next;
      for (const s of sessions) s.configChanged(next);
    },
    async close() {
      uWS.us_listen_socket_close(listenSocket);
      prewarm.closeAll();
      for (const s of [...sessions]) s.end('shutdown');
      app.close();
    },
  };
}
