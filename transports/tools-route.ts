import type uWS from 'uWebSockets.js';
import type { AgentConfig } from '../core/agent-config.ts';
import type { GatewayContext } from '../core/gateway-context.ts';
import type { ToolCallContext, ToolResult, ToolSchema } from '../core/tool-registry.ts';
import { registerToolTestRoute } from './api-tool-test.ts';
import { reply, sendJson } from './http.ts';

export interface ToolsRouteDeps {
  /** Every enabled tool (`LiveToolRegistry.list`). */
  tools: { list(): (ToolSchema & { source: string })[] };
  agentConfig(): AgentConfig;
}

/**
 * `GET /tools`: the schemas of every enabled tool, each marked whether the active agent config offers it to the
 * model. Schemas only — a webhook's URL and headers stay with the admin API.
 */
export function registerToolsRoute(app: uWS.TemplatedApp, deps: ToolsRouteDeps): void {
  app.get('/tools', (res) => {
    const offered = new Set(deps.agentConfig().enabledTools);
    const tools = deps.tools.list().map((t) => ({ ...t, offered: offered.has(t.name) }));
    sendJson(reply(res), 200, { tools });
  });
}

/**
 * The registry's HTTP surface as one gateway route entry: `GET /tools` and `POST /api/tools/:name/test`.
 * `startGateway({ routes: [..., toolRoutes(registry)] })`.
 */
export function toolRoutes(
  registry: ToolsRouteDeps['tools'] & { test(name: string, args: unknown, ctx: ToolCallContext): Promise<ToolResult> },
): (app: uWS.TemplatedApp, ctx: GatewayContext) => void {
  return (app, ctx) => {
    registerToolsRoute(app, { tools: registry, agentConfig: () => ctx.agentConfig() });
    registerToolTestRoute(app, { tools: registry, adminToken: ctx.adminToken, log: ctx.log });
  };
}
