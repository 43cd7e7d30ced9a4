import type { ApiMode } from './realtime/event-names.ts';

/** One entry of the conversation as the session keeps it: enough to tell a new model connection what was said. */
export type LoggedItem =
  | { kind: 'user'; itemId?: string; text: string }
  | { kind: 'assistant'; itemId: string; text: string }
  | { kind: 'function_call'; callId: string; name: string; arguments: string }
  | { kind: 'function_call_output'; callId: string; output: string };

export interface ConversationLogLimits {
  maxItems: number;
  maxChars: number;
}

/**
 * The conversation so far, in order, as text: user and assistant transcripts (the assistant's cut where the caller
 * interrupted), function calls and their outputs, DTMF notes. A replacement model connection gets it replayed as
 * `conversation.item.create` messages.
 *
 * Slots are taken when an item is announced (speech stopped, output item added) and filled when its transcript
 * arrives, so transcripts that arrive late keep their place. Bounded: past the limits the oldest entries go (a call
 * and its output go together, since the API refuses an output whose call it does not know).
 */
export class ConversationLog {
  readonly #items: LoggedItem[] = [];
  #chars = 0;
  readonly #limits: ConversationLogLimits;

  constructor(limits: ConversationLogLimits = { maxItems: 200, maxChars: 60_000 }) {
    this.#limits = limits;
  }

  get items(): readonly LoggedItem[] {
    return this.#items;
  }

  /** The caller's turn was committed as `itemId`; its transcript may follow. */
  userSlot(itemId: string): void {
    if (!this.#find('user', itemId)) this.#push({ kind: 'user', itemId, text: '' });
  }

  userText(itemId: string | undefined, text: string): void {
    const slot = itemId ? this.#find('user', itemId) : undefined;
    if (slot) this.#setText(slot, text);
    else this.#push({ kind: 'user', itemId, text });
  }

  assistantSlot(itemId: string): void {
    if (!this.#find('assistant', itemId)) this.#push({ kind: 'assistant', itemId, text: '' });
  }

  assistantText(itemId: string, text: string): void {
    const slot = this.#find('assistant', itemId);
    if (slot) this.#setText(slot, text);
    else this.#push({ kind: 'assistant', itemId, text });
  }

  functionCall(callId: string, name: string, args: string): void {
    this.#push({ kind: 'function_call', callId, name, arguments: args });
  }

  functionOutput(callId: string, output: string): void {
    this.#push({ kind: 'function_call_output', callId, output });
  }

  /** The conversation as client events for a new connection (empty slots are skipped). */
  replay(mode: ApiMode): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const item of this.#items) {
      switch (item.kind) {
        case 'user':
          if (item.text) out.push(create({ type: 'message', role: 'user', content: [{ type: 'input_text', text: item.text }] }));
          break;
        case 'assistant':
          // GA names assistant text `output_text`; beta calls it `text`.
          if (item.text)
            out.push(create({ type: 'message', role: 'assistant', content: [{ type: mode === 'ga' ? 'output_text' : 'text', text: item.text }] }));
          break;
        case 'function_call':
          out.push(create({ type: 'function_call', call_id: item.callId, name: item.name, arguments: item.arguments }));
          break;
        case 'function_call_output':
          out.push(create({ type: 'function_call_output', call_id: item.callId, output: item.output }));
          break;
      }
    }
    return out;
  }

  #find<K extends 'user' | 'assistant'>(kind: K, itemId: string): Extract<LoggedItem, { kind: K }> | undefined {
    for (let i = this.#items.length - 1; i >= 0; i--) {
      const it = this.#items[i]!;
      if (it.kind === kind && it.itemId === itemId) return it as Extract<LoggedItem, { kind: K }>;
    }
    return undefined;
  }

  #setText(slot: { text: string }, text: string): void {
    this.#chars += text.length - slot.text.length;
    slot.text = text;
    this.#trim();
  }

  #push(item: LoggedItem): void {
    this.#items.push(item);
    this.#chars += size(item);
    this.#trim();
  }

  #trim(): void {
    while (this.#items.length > 1 && (this.#items.length > this.#limits.maxItems || this.#chars > this.#limits.maxChars)) {
      const gone = this.#items.shift()!;
      this.#chars -= size(gone);
      if (gone.kind === 'function_call') {
        const i = this.#items.findIndex((x) => x.kind === 'function_call_output' && x.callId === gone.callId);
        if (i >= 0) this.#chars -= size(this.#items.splice(i, 1)[0]!);
      }
    }
  }
}

function create(item: Record<string, unknown>): Record<string, unknown> {
  return { type: 'conversation.item.create', item };
}

function size(item: LoggedItem): number {
  switch (item.kind) {
    case 'user':
    case 'assistant':
      return item.text.length;
    case 'function_call':
      return item.name.length + item.arguments.length;
    case 'function_call_output':
      return item.output.length;
  }
}
