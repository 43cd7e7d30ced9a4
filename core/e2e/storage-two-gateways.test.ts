import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { talkSpurt } from '../../bench/callers/speech-fixtures.ts';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { waitFor } from '../../transports/e2e/harness.ts';
import { createTestDatabase, type TestDatabase } from '../db/test-database.ts';
import { RealtimeSimulator } from '../realtime/simulator.ts';

const MAIN = fileURLToPath(new URL('../../transports/main.ts', import.meta.url));
const TOKEN = 'e2e-admin-token-7f3a9c';

interface GatewayProcess {
  proc: ChildProcess;
  port: number;
  base: string;
  stop(): Promise<void>;
}

/** `npm start` as a real process on a random port, against the given database and model URL. */
async function startGatewayProcess(env: Record<string, string>): Promise<GatewayProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: proc.stdout! });
  const stderr: string[] = [];
  proc.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${stderr.join('')}`)), 30_000);
    lines.on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { msg?: string; port?: number };
        if (rec.msg === 'voxbridge ready' && rec.port) {
          clearTimeout(timer);
          resolve(rec.port);
        }
      } catch {
        // not a log line
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}: ${stderr.join('')}`));
    });
  });
  return {
    proc,
    port,
    base: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 8000).unref();
      }),
  };
}

async function api(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever JSON the API answered
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

describe('two gateway processes on one database', () => {
  let tdb: TestDatabase;
  let sim: RealtimeSimulator;
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    tdb = await createTestDatabase('postgres');
    let q = 0;
    sim = new RealtimeSimulator({ firstAudioDelayMs: 20, transcribe: () => `question ${++q}`, answer: () => ({ toneMs: 300, transcript: 'aye' }) });
    await sim.start();
    const env = { DATABASE_URL: tdb.url!, OPENAI_REALTIME_URL: sim.url };
    // Together, on an empty database: one migrates and seeds the config under the advisory lock, the other waits.
    [a, b] = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    sim?.close();
    await tdb?.drop();
  });

  it('a config saved through A reaches a live call on B within 1 s, as a session.update between turns', async () => {
    const caller = new TwilioCaller({ url: `ws://127.0.0.1:${b.port}/call`, audio: new Uint8Array(0), pace: 1, continuous: true });
    await caller.call();
    const model = await waitFor(() => sim.sessions.find((s) => !s.closed && s.sessionUpdates.length > 0), 'the call on B to reach the model', 10_000);
    // One turn first, so the change lands on a call that has talked (and is now between turns).
    await caller.speak(talkSpurt(500, 440));
    const spokeAt = performance.now();
    await waitFor(() => caller.received.find((r) => r.at > spokeAt && r.event.event === 'media'), 'the answer', 5000);
    await waitFor(() => !model.activeResponseId, 'the answer to finish', 5000);

    const updatesBefore = model.sessionUpdates.length;
    const t0 = performance.now();
    const put = await api(a.base, 'PUT', '/api/agent-config', { instructions: 'You are a pirate. Say arr.' });
    expect(put.status).toBe(200);
    await waitFor(
      () => model.sessionUpdates.slice(updatesBefore).find((u) => JSON.stringify(u).includes('You are a pirate. Say arr.')),
      'the new instructions at the model of the call on B',
      2000,
    );
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(1000);

    // The session on B appears in A's /api/sessions, and its detail shows the config it applied.
    const listed = await waitFor(async () => {
      const res = await api(a.base, 'GET', '/api/sessions?kind=phone');
      return (res.json.sessions as Array<{ callSid: string; id: string }>).find((s) => s.callSid === caller.callSid);
    }, 'the session on B in A\'s list', 3000, 50);

    caller.hangUp();
    const detail = await waitFor(async () => {
      const res = await api(a.base, 'GET', `/api/sessions/${listed.id}`);
      return res.json.endedAt ? res.json : undefined;
    }, 'the session to be stored as ended', 5000, 50);
    const detailJson = detail;
    expect(detailJson.kind).toBe('phone');
    expect((detailJson.logs as Array<{ kind: string; payload: { name?: string } }>).some((l) => l.kind === 'event' && l.payload.name === 'config_applied')).toBe(true);
  }, 60_000);

  it('a new call on B starts from the config saved through A', async () => {
    await api(a.base, 'PUT', '/api/agent-config', { instructions: 'Speak only in haiku.' });
    await new Promise((r) => setTimeout(r, 300));
    const caller = new TwilioCaller({ url: `ws://127.0.0.1:${b.port}/call`, audio: new Uint8Array(0), pace: 1, continuous: true });
    const known = new Set(sim.sessions);
    await caller.call();
    const model = await waitFor(() => sim.sessions.find((s) => !known.has(s) && s.sessionUpdates.length > 0), 'the new call at the model', 10_000);
    expect(JSON.stringify(model.sessionUpdates[0])).toContain('Speak only in haiku.');
    caller.hangUp();
  }, 30_000);

  it('SIGTERM on B mid-call: the call is stored as ended, with its transcript, before B exits', async () => {
    const caller = new TwilioCaller({ url: `ws://127.0.0.1:${b.port}/call`, audio: new Uint8Array(0), pace: 1, continuous: true });
    await caller.call();
    await caller.speak(talkSpurt(400, 520));
    const spokeAt = performance.now();
    await waitFor(() => caller.received.find((r) => r.at > spokeAt && r.event.event === 'media'), 'the answer', 5000);
    await waitFor(() => caller.queuedMs() === 0, 'the answer to play', 5000);
    await b.stop();
    const res = await api(a.base, 'GET', '/api/sessions?kind=phone');
    const row = (res.json.sessions as Array<{ id: string; callSid: string; endReason: string | null }>).find((s) => s.callSid === caller.callSid);
    expect(row?.endReason).toBe('shutdown');
    const detail = await api(a.base, 'GET', `/api/sessions/${row!.id}`);
    const lines = (detail.json.transcript as Array<{ role: string; text: string }>).map((t) => `${t.role}: ${t.text}`);
    expect(lines).toContain('assistant: aye');
    expect(lines.some((l) => l.startsWith('user: question'))).toBe(true);
  }, 30_000);
});
