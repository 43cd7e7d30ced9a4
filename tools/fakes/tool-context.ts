import { createLogger } from '../../core/log.ts';
import type { ToolCallContext } from '../../core/tool-registry.ts';

export interface TestToolContext extends ToolCallContext {
  /** Ends the "call": aborts `signal`. */
  hangUp(): void;
  /** How many times a tool waited for playback. */
  playbackWaits: number;
}

/** A phone call's tool context for tests and the admin test endpoint's dry runs, with a silent logger by default. */
export function testToolContext(overrides: Partial<ToolCallContext> = {}): TestToolContext {
  const controller = new AbortController();
  const ctx: TestToolContext = {
    sessionId: 'sess-test',
    kind: 'phone',
    callSid: `CA${'a'.repeat(32)}`,
    from: '+14155550100',
    to: '+14155550199',
    signal: controller.signal,
    log: createLogger('silent'),
    playbackWaits: 0,
    playbackDone: async () => {
      ctx.playbackWaits++;
    },
    hangUp: () => controller.abort(),
    ...overrides,
  };
  return ctx;
}
