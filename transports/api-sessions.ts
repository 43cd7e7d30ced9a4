import type uWS from 'uWebSockets.js';
import { z } from 'zod';
import type { SessionStore } from '../core/storage/session-store.ts';
import { HttpError, sendJson } from './http.ts';
import { type ApiRouteDeps, apiRoute, parseQuery } from './api-route.ts';

/** A date (`2026-01-31`, midnight UTC) or a date-time with an offset. */
const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]).transform((s) => new Date(s));

const listQuery = z.strictObject({
  kind: z.enum(['phone', 'browser']).optional(),
  since: instant.optional(),
  until: instant.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(400).optional(),
});

/** `GET /api/sessions?kind&since&until&limit&cursor` (newest first), `GET /api/sessions/:id` (with transcript and logs). */
export function registerSessionRoutes(app: uWS.TemplatedApp, deps: ApiRouteDeps & { sessions: SessionStore }): void {
  app.get(
    '/api/sessions',
    apiRoute(deps, async ({ r, query }) => {
      const q = parseQuery(query, listQuery);
      sendJson(r, 200, await deps.sessions.list(q));
    }),
  );

  app.get(
    '/api/sessions/:id',
    apiRoute(deps, async ({ r, params }) => {
      let id = '';
      try {
        id = decodeURIComponent(params[0] ?? '');
      } catch {
        // A malformed escape names no session.
      }
      const session = id.length > 0 && id.length <= 200 ? await deps.sessions.get(id) : undefined;
      if (!session) throw new HttpError(404, 'not_found', 'no such session');
      sendJson(r, 200, session);
    }),
  );
}
