import type uWS from 'uWebSockets.js';
import { z } from 'zod';
import type { StoredToolDefinition, ToolDefinitionStore } from '../core/storage/tool-definition-store.ts';
import { BUILTIN_TOOL_NAMES } from '../tools/builtin-tools.ts';
import { TOOL_NAME } from '../tools/define-tool.ts';
import { webhookToolDefinitionSchema } from '../tools/tool-definition.ts';
import { HttpError, readJson, send, sendJson } from './http.ts';
import { patchSchema } from './api-patch-schema.ts';
import { API_BODY_LIMIT, type ApiRouteDeps, apiRoute } from './api-route.ts';

/** POST body: a whole definition, as the tools issue defined it; unknown fields refused. */
const createSchema = webhookToolDefinitionSchema.strict();

/** PUT body: the fields to change; `createdAt`/`updatedAt` (from GET) are read-only and ignored. */
const updateSchema = patchSchema(webhookToolDefinitionSchema.shape).extend({
  createdAt: z.string().max(40).optional(),
  updatedAt: z.string().max(40).optional(),
});

export interface ToolRoutesDeps extends ApiRouteDeps {
  toolDefinitions: ToolDefinitionStore;
  /** Names a definition may not take (default: the built-in tools'). */
  reservedNames?: readonly string[];
}

/** `GET/POST /api/tools`, `GET/PUT/DELETE /api/tools/:name`. */
export function registerToolRoutes(app: uWS.TemplatedApp, deps: ToolRoutesDeps): void {
  const reserved = new Set(deps.reservedNames ?? BUILTIN_TOOL_NAMES);
  const refuseReserved = (name: string) => {
    if (reserved.has(name))
      throw new HttpError(400, 'invalid_body', `name: ${name} is a built-in tool`, [{ path: 'name', message: 'reserved' }]);
  };

  app.get(
    '/api/tools',
    apiRoute(deps, async ({ r }) => {
      sendJson(r, 200, { tools: (await deps.toolDefinitions.list()).map(toolJson) });
    }),
  );

  app.post(
    '/api/tools',
    apiRoute(deps, async ({ r }) => {
      const def = await readJson(r, createSchema, API_BODY_LIMIT);
      refuseReserved(def.name);
      sendJson(r, 201, toolJson(await deps.toolDefinitions.create(def)));
    }),
  );

  app.get(
    '/api/tools/:name',
    apiRoute(deps, async ({ r, params }) => {
      const def = await deps.toolDefinitions.get(toolName(params[0]));
      if (!def) throw new HttpError(404, 'not_found', 'no such tool');
      sendJson(r, 200, toolJson(def));
    }),
  );

  app.put(
    '/api/tools/:name',
    apiRoute(deps, async ({ r, params }) => {
      const body = readJson(r, updateSchema, API_BODY_LIMIT);
      body.catch(() => {}); // awaited below; a bad name must not leave it unhandled
      const name = toolName(params[0]);
      const { createdAt: _c, updatedAt: _u, ...patch } = await body;
      const current = await deps.toolDefinitions.get(name);
      if (!current) throw new HttpError(404, 'not_found', 'no such tool');
      const { createdAt: _cc, updatedAt: _uu, ...fields } = current;
      // The merged whole is validated again: a patch may be fine alone and not with what is stored (a secret
      // header literal, a webhook without a URL).
      const next = createSchema.safeParse({ ...fields, ...patch });
      if (!next.success) {
        const issues = next.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
        throw new HttpError(400, 'invalid_body', `${issues[0]?.path || '(body)'}: ${issues[0]?.message}`, issues);
      }
      if (next.data.name !== name) refuseReserved(next.data.name);
      sendJson(r, 200, toolJson(await deps.toolDefinitions.replace(name, next.data)));
    }),
  );

  app.del(
    '/api/tools/:name',
    apiRoute(deps, async ({ r, params }) => {
      if (!(await deps.toolDefinitions.delete(toolName(params[0])))) throw new HttpError(404, 'not_found', 'no such tool');
      send(r, 204, '');
    }),
  );
}

function toolName(raw: string | undefined): string {
  let name: string;
  try {
    name = decodeURIComponent(raw ?? '');
  } catch {
    throw new HttpError(404, 'not_found', 'no such tool');
  }
  if (!TOOL_NAME.test(name)) throw new HttpError(404, 'not_found', 'no such tool');
  return name;
}

function toolJson(def: StoredToolDefinition): Record<string, unknown> {
  return def as unknown as Record<string, unknown>;
}
