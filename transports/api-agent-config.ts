import type uWS from 'uWebSockets.js';
import { z } from 'zod';
import { agentConfigSchema } from '../core/agent-config.ts';
import type { AgentConfigStore, StoredAgentConfig } from '../core/storage/agent-config-store.ts';
import { HttpError, readJson, sendJson } from './http.ts';
import { patchSchema } from './api-patch-schema.ts';
import { API_BODY_LIMIT, type ApiRouteDeps, apiRoute, parseQuery } from './api-route.ts';

/**
 * PUT body: the fields to change. What GET returned may be sent back as it is: `version` makes the save conditional
 * on that version still being active (409 otherwise), and `savedAt` is read-only and ignored.
 */
export const agentConfigPatchSchema = patchSchema(agentConfigSchema.shape).extend({
  version: z.number().int().positive().optional(),
  savedAt: z.string().max(40).optional(),
});

const historyQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().positive().optional(),
});

/** The JSON of a stored config: its fields flat, beside `version` and `savedAt`. */
export function agentConfigJson(stored: StoredAgentConfig): Record<string, unknown> {
  return { version: stored.version, savedAt: stored.savedAt, ...stored.config };
}

/**
 * `GET /api/agent-config`, `PUT /api/agent-config`, `GET /api/agent-config/history?limit&before`,
 * `POST /api/agent-config/history/:version/restore`.
 */
export function registerAgentConfigRoutes(app: uWS.TemplatedApp, deps: ApiRouteDeps & { configs: AgentConfigStore }): void {
  app.get(
    '/api/agent-config',
    apiRoute(deps, async ({ r }) => {
      sendJson(r, 200, agentConfigJson(await deps.configs.active()));
    }),
  );

  app.put(
    '/api/agent-config',
    apiRoute(deps, async ({ r }) => {
      const body = await readJson(r, agentConfigPatchSchema, API_BODY_LIMIT);
      const { version, savedAt: _ignored, ...patch } = body;
      const { stored } = await deps.configs.save(patch, version);
      sendJson(r, 200, agentConfigJson(stored));
    }),
  );

  app.get(
    '/api/agent-config/history',
    apiRoute(deps, async ({ r, query }) => {
      const q = parseQuery(query, historyQuery);
      const versions = await deps.configs.history(q.limit + 1, q.before);
      const page = versions.slice(0, q.limit);
      sendJson(r, 200, {
        versions: page.map((v) => ({ ...agentConfigJson(v), active: v.active })),
        nextBefore: versions.length > q.limit ? (page.at(-1)?.version ?? null) : null,
      });
    }),
  );

  app.post(
    '/api/agent-config/history/:version/restore',
    apiRoute(deps, async ({ r, params }) => {
      const version = Number(params[0]);
      if (!Number.isSafeInteger(version) || version <= 0) throw new HttpError(404, 'not_found', 'no such version');
      const { stored } = await deps.configs.restore(version);
      sendJson(r, 200, agentConfigJson(stored));
    }),
  );
}
