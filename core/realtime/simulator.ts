import uWS from 'uWebSockets.js';
import type { ApiMode } from './event-names.ts';
import { type Answer, type SimSessionHooks, SimSession, type SimulatorTimings } from './simulator-session.ts';

export interface SimulatorOptions extends Partial<SimulatorTimings>, SimSessionHooks {
  port?: number;
  host?: string;
  /** Every session mirrors its input straight back as audio (the relay bench's duplex load). */
  mirror?: boolean;
  /** Keep ended sessions for inspection, up to this many. */
  keepEnded?: number;
  /**
   * Scripted answers, as data: each session answers its first responses with these, in order (a tool call, then
   * speech, ...), then falls back to `answer` or the default. What `npm run simulator -- --script file.json` loads.
   */
  script?: Answer[];
  /** Every new session starts with this many lost `response.create` races (see `SimSession.activeResponseRaces`). */
  activeResponseRaces?: number;
}

interface SocketData {
  mode: ApiMode;
  model: string;
  session?: SimSession;
}

export const DEFAULT_TIMINGS: SimulatorTimings = {
  firstAudioDelayMs: 50,
  deltaMs: 100,
  realtimeFactor: 4,
  answerMs: 1200,
  maxSessionMs: 30 * 60_000,
};

/**
 * A local Realtime API: a WebSocket server speaking the GA and beta protocols of PROTOCOLS.md. It is product, not a
 * test double: `npm start` talks to it when no OPENAI_API_KEY is set, the bench drives it under load, and tests read
 * what it received. Any path is accepted; `?model=` and the `OpenAI-Beta: realtime=v1` header choose model and dialect.
 */
export class RealtimeSimulator {
  readonly timings: SimulatorTimings;
  readonly sessions: SimSession[] = [];
  #app = uWS.App();
  #listen: uWS.us_listen_socket | undefined;
  #sockets = new Set<uWS.WebSocket<SocketData>>();
  #hooks: SimSessionHooks;
  #sessionListeners = new Set<(s: SimSession) => void>();
  #socketOf = new Map<SimSession, uWS.WebSocket<SocketData>>();
  /** While set, upgrades are refused with 503 (an outage: the gateway's reconnects fail). */
  refuseConnections = false;
  port = 0;

  constructor(private readonly opts: SimulatorOptions = {}) {
    this.timings = { ...DEFAULT_TIMINGS };
    for (const k of Object.keys(DEFAULT_TIMINGS) as Array<keyof SimulatorTimings>) {
      const v = opts[k];
      if (typeof v === 'number') this.timings[k] = v;
    }
    // Hooks read through the options object, so a test may swap them between turns.
    this.#hooks = {
      answer: (ctx) => {
        const scripted = this.opts.script?.[ctx.session.responses];
        return scripted ?? this.opts.answer?.(ctx) ?? {};
      },
      transcribe: (speech, s) => this.opts.transcribe?.(speech, s),
    };
    this.#app.ws<SocketData>('/*', {
      compression: uWS.DISABLED,
      maxPayloadLength: 16 * 1024 * 1024,
      maxBackpressure: 64 * 1024 * 1024,
      idleTimeout: 0,
      upgrade: (res, req, context) => {
        if (this.refuseConnections) {
          res.cork(() => res.writeStatus('503 Service Unavailable').end('simulated outage'));
          return;
        }
        const url = new URL(`http://x${req.getUrl()}?${req.getQuery() ?? ''}`);
        const mode: ApiMode = /realtime=v1/.test(req.getHeader('openai-beta')) ? 'beta' : 'ga';
        const model = url.searchParams.get('model') ?? 'gpt-realtime';
        res.upgrade<SocketData>(
          { mode, model },
          req.getHeader('sec-websocket-key'),
          req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'),
          context,
        );
      },
      open: (ws) => {
        this.#sockets.add(ws);
        const data = ws.getUserData();
        const session = new SimSession(
          data.mode,
          data.model,
          this.timings,
          this.#hooks,
          (text) => {
            ws.send(text, false);
          },
          (code, reason) => {
            if (this.#sockets.has(ws)) ws.end(code, reason);
          },
        );
        if (opts.mirror) session.mirror = true;
        if (opts.activeResponseRaces) session.activeResponseRaces = opts.activeResponseRaces;
        this.#socketOf.set(session, ws);
        data.session = session;
        this.sessions.push(session);
        const keep = opts.keepEnded ?? 2000;
        if (this.sessions.length > keep) {
          const idx = this.sessions.findIndex((s) => s.closed);
          if (idx >= 0) this.sessions.splice(idx, 1);
        }
        for (const fn of this.#sessionListeners) fn(session);
      },
      message: (ws, message, isBinary) => {
        if (isBinary) return;
        ws.getUserData().session?.onMessage(Buffer.from(message).toString('utf8'));
      },
      close: (ws, code) => {
        this.#sockets.delete(ws);
        const session = ws.getUserData().session;
        if (session) this.#socketOf.delete(session);
        session?.socketClosed(`socket closed (${code})`);
      },
    });
  }

  /** Starts listening; resolves to the port. */
  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#app.listen(this.opts.host ?? '127.0.0.1', this.opts.port ?? 0, (socket) => {
        if (!socket) {
          reject(new Error(`simulator could not listen on port ${this.opts.port ?? 0}`));
          return;
        }
        this.#listen = socket;
        this.port = uWS.us_socket_local_port(socket);
        resolve(this.port);
      });
    });
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/v1/realtime`;
  }

  /** Calls `fn` for each new session (tests wait for "the session this call opened"). */
  onSession(fn: (s: SimSession) => void): () => void {
    this.#sessionListeners.add(fn);
    return () => this.#sessionListeners.delete(fn);
  }

  liveSessions(): SimSession[] {
    return this.sessions.filter((s) => !s.closed);
  }

  /** Drops every live socket without a close frame, as a network failure would. */
  dropAll(): void {
    for (const ws of [...this.#sockets]) ws.close();
  }

  /** Drops one session's socket without a close frame. */
  drop(session: SimSession): void {
    this.#socketOf.get(session)?.close();
  }

  close(): void {
    if (this.#listen) uWS.us_listen_socket_close(this.#listen);
    this.#listen = undefined;
    for (const ws of [...this.#sockets]) ws.close();
    this.#sockets.clear();
    for (const s of this.sessions) s.socketClosed('simulator closed');
  }
}
