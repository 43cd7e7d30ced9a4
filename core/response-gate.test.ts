import { describe, expect, it } from 'vitest';
import { createLogger } from './log.ts';
import { ResponseGate } from './response-gate.ts';

function gate() {
  const sent: Array<string | undefined> = [];
  const g = new ResponseGate((i) => sent.push(i), createLogger('silent'));
  return { g, sent };
}

describe('ResponseGate', () => {
  it('sends one response.create for several tool outputs, after the active response and the last tool', () => {
    const { g, sent } = gate();
    g.created('r1');
    g.toolStarted();
    g.toolStarted();
    g.want();
    g.toolFinished();
    g.want();
    expect(sent).toHaveLength(0); // a tool still runs, and r1 is active
    g.toolFinished();
    expect(sent).toHaveLength(0); // r1 still active
    g.done('r1');
    expect(sent).toEqual([undefined]);
    g.done('r1');
    expect(sent).toHaveLength(1);
  });

  it('does not ask twice while a request is unanswered, and a created response settles what was wanted', () => {
    const { g, sent } = gate();
    g.want('greet');
    g.want();
    expect(sent).toEqual(['greet']);
    g.created('r1');
    g.done('r1');
    expect(sent).toHaveLength(1);
  });

  it('after a lost race, nothing more is owed when the winner was announced first; bounded retries otherwise', async () => {
    const { g, sent } = gate();
    g.want();
    g.created('server'); // the server's own response won, and saw our output
    g.activeResponseError();
    g.done('server');
    expect(sent).toHaveLength(1);

    const b = gate();
    b.g.want();
    for (let i = 0; i < 5; i++) {
      b.g.activeResponseError(); // refused, and no response ever announced
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(b.sent.length).toBeLessThanOrEqual(4); // first try + 3 retries, then it stops
    expect(b.g.wanted).toBe(false);
    b.g.close();
  });
});
