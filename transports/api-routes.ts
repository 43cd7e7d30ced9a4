import type uWS from 'uWebSockets.js';
import type { Logger } from '../core/log.ts';
import type { Storage } from '../core/storage/storage.ts';
import { registerAgentConfigRoutes } from './api-agent-config.ts';
import { registerSessionRoutes } from './api-sessions.ts';
import { registerToolRoutes } from './api-tools.ts';
import { reply, sendError, sendJson, HttpError } from './http.ts';

export interface ApiDeps {
  storage: Pick<Storage, 'configs' | 'toolDefinitions' | 'sessions' | 'ready'>;
  /** Bearer token every `/api` route requires. */
  adminToken: string;
  log: Logger;
  /** Names admin-defined tools may not take (default: the built-ins). */
  reservedToolNames?: readonly string[];
}

/**
 * The admin API on `app`: agent config (with history), tool definitions, sessions — all under `/api`, all requiring
 * the admin token, JSON in and out (camelCase), errors as `{ error: { code, message, details? } }`. Also `/readyz`
 * (no token: load balancers probe it): 200 when the database answers within 2 s, else 503.
 */
export function registerApiRoutes(app: uWS.TemplatedApp, deps: ApiDeps): void {
  const base = { adminToken: deps.adminToken, log: deps.log.child({ component: 'admin-api' }) };
  registerAgentConfigRoutes(app, { ...base, configs: deps.storage.configs });
  registerToolRoutes(app, { ...base, toolDefinitions: deps.storage.toolDefinitions, reservedNames: deps.reservedToolNames });
  registerSessionRoutes(app, { ...base, sessions: deps.storage.sessions });

  app.get('/readyz', (res) => {
    const r = reply(res);
    deps.storage.ready().then(
      (ok) => sendJson(r, ok ? 200 : 503, { status: ok ? 'ready' : 'database_unavailable' }),
      () => sendJson(r, 503, { status: 'database_unavailable' }),
    );
  });

  app.any('/api/*', (res) => {
    sendError(reply(res), new HttpError(404, 'not_found', 'no such API route'));
  });
}
