import type uWS from 'uWebSockets.js';
import type { GatewayContext } from '../core/gateway-context.ts';
import type { ToolCallContext, ToolResult } from '../core/tool-registry.ts';
import { registerToolTestRoute } from './api-tool-test.ts';

/**
 * The registry's admin surface as one gateway route entry: `POST /api/tools/:name/test`.
 * `startGateway({ routes: [..., toolRoutes(registry)] })`. (`GET /tools`, the schemas offered to the model, is the
 * gateway's own: `transports/health-routes.ts`.)
 */
export function toolRoutes(
  registry: { test(name: string, args: unknown, ctx: ToolCallContext): Promise<ToolResult> },
): (app: uWS.TemplatedApp, ctx: GatewayContext) => void {
  return (app, ctx) => {
    registerToolTestRoute(app, { tools: registry, adminToken: ctx.adminToken, log: ctx.log });
  };
}
