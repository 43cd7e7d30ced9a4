import type uWS from 'uWebSockets.js';
import type { GatewayContext } from '../core/gateway-context.ts';
import type { GatewayMetrics } from '../core/metrics.ts';
import { reply, send, sendJson } from './http.ts';

/** `/healthz` (the process serves), `/tools` (schemas offered to the model), `/metrics` (Prometheus text). */
export function registerHealthRoutes(app: uWS.TemplatedApp, ctx: GatewayContext, metrics: GatewayMetrics): void {
  const started = Date.now();
  app.get('/healthz', (res) => {
    sendJson(reply(res), 200, { status: 'ok', uptimeS: Math.round((Date.now() - started) / 1000), sessions: metrics.sessionsActive });
  });
  app.get('/tools', (res) => {
    sendJson(reply(res), 200, ctx.tools.schemas(ctx.agentConfig().enabledTools));
  });
  app.get('/metrics', (res) => {
    send(reply(res), 200, metrics.render(), 'text/plain; version=0.0.4');
  });
}
