import { describe, expect, it } from 'vitest';
import { ConversationLog } from './conversation-log.ts';

describe('ConversationLog', () => {
  it('keeps late transcripts in their slots and replays text items in order, GA and beta', () => {
    const log = new ConversationLog();
    log.userSlot('u1');
    log.assistantSlot('a1');
    log.assistantText('a1', 'Hello there');
    log.userText('u1', 'Hi'); // the user's transcript arrived after the answer began
    log.functionCall('c1', 'lookup', '{"id":1}');
    log.functionOutput('c1', '{"ok":true}');
    log.userText(undefined, 'The caller pressed 5');
    log.userSlot('u2'); // never transcribed: skipped
    const ga = log.replay('ga').map((e) => e.item);
    expect(ga).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello there' }] },
      { type: 'function_call', call_id: 'c1', name: 'lookup', arguments: '{"id":1}' },
      { type: 'function_call_output', call_id: 'c1', output: '{"ok":true}' },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'The caller pressed 5' }] },
    ]);
    expect((log.replay('beta')[1]!.item as { content: Array<{ type: string }> }).content[0]!.type).toBe('text');
    expect(log.replay('ga').every((e) => e.type === 'conversation.item.create')).toBe(true);
  });

  it('drops the oldest entries past its bounds, a call together with its output', () => {
    const log = new ConversationLog({ maxItems: 3, maxChars: 10_000 });
    log.functionCall('c1', 'f', '{}');
    log.userText(undefined, 'a');
    log.functionOutput('c1', 'x');
    expect(log.items.map((i) => i.kind)).toEqual(['function_call', 'user', 'function_call_output']);
    log.userText(undefined, 'b'); // over: the call goes, and its output with it
    expect(log.items.some((i) => i.kind === 'function_call_output')).toBe(false);
    log.userText(undefined, 'c');
    expect(log.items.map((i) => (i.kind === 'user' ? i.text : i.kind))).toEqual(['a', 'b', 'c']);
  });
});
