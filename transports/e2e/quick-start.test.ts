import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TwilioCaller } from '../../bench/callers/twilio-caller.ts';
import { turn } from '../../bench/callers/speech-fixtures.ts';
import { waitFor } from './harness.ts';

let proc: ChildProcess | undefined;
let dataDir = '';
afterEach(() => {
  proc?.kill('SIGTERM');
  proc = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('serves /healthz on embedded storage with the built-in simulator as the model when no key is set, and answers a call', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'voxbridge-start-'));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    delete env.OPENAI_API_KEY;
    delete env.OPENAI_REALTIME_URL;
    delete env.DATABASE_URL;
    delete env.TWILIO_AUTH_TOKEN;
    proc = spawn(process.execPath, ['--import', 'tsx', 'transports/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    await waitFor(() => out.includes('voxbridge ready'), 'the gateway to start', 60_000);
    expect(out).toContain('the model is the built-in Realtime simulator');
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('ok');

    // No ADMIN_TOKEN: one was made in DATA_DIR (the log names the file, never the token) and guards the admin API.
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    expect(out).not.toContain(token);
    expect((await fetch(`http://127.0.0.1:${port}/api/agent-config`)).status).toBe(401);
    const cfg = await fetch(`http://127.0.0.1:${port}/api/agent-config`, { headers: { authorization: `Bearer ${token}` } });
    expect(cfg.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^voxbridge_log_rows_dropped_total 0$/m);
    expect(metrics).toMatch(/^voxbridge_sessions_active 0$/m);

    const caller = new TwilioCaller({ url: `ws://127.0.0.1:${port}/call`, audio: turn(400, 700, 500), pace: 10 });
    await caller.call();
    await waitFor(() => caller.receivedAudio.length > 0, 'an answer from the simulator', 10_000);
    caller.hangUp();
  }, 90_000);
});
