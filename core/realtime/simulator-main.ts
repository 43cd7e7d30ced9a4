import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { RealtimeSimulator } from './simulator.ts';

/**
 * `npm run simulator -- --port 8090 [--mirror] [--first-audio-ms 50] [--answer-ms 1200] [--realtime-factor 4]
 * [--max-session-ms 20000] [--script answers.json]`
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8090' },
    host: { type: 'string', default: '127.0.0.1' },
    mirror: { type: 'boolean', default: false },
    'first-audio-ms': { type: 'string' },
    'answer-ms': { type: 'string' },
    'delta-ms': { type: 'string' },
    'realtime-factor': { type: 'string' },
    'max-session-ms': { type: 'string' },
    /** JSON array of answers, e.g. [{"functionCall":{"name":"get_weather","arguments":"{}"}},{"toneMs":800}] */
    script: { type: 'string' },
  },
});

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const sim = new RealtimeSimulator({
  port: Number(values.port),
  host: values.host,
  mirror: values.mirror,
  firstAudioDelayMs: num(values['first-audio-ms']),
  answerMs: num(values['answer-ms']),
  deltaMs: num(values['delta-ms']),
  realtimeFactor: num(values['realtime-factor']),
  maxSessionMs: num(values['max-session-ms']),
  script: values.script ? JSON.parse(readFileSync(values.script, 'utf8')) : undefined,
  keepEnded: 0,
});
const port = await sim.start();
process.stdout.write(`realtime simulator listening on ws://${values.host}:${port}/v1/realtime${values.mirror ? ' (mirror)' : ''}\n`);
const stop = () => {
  sim.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
