import { z } from 'zod';
import { ToolError } from '../core/errors.ts';
import { defineTool, type Tool } from './define-tool.ts';
import { isJsonObject } from './http-call.ts';
import { callN8n, type N8nTarget } from './n8n-webhook.ts';

export interface KnowledgeAnswer {
  answer: string;
  sources: unknown[];
}

/** Answers a question from the knowledge-base workflow in n8n (retrieval and generation happen there). */
export function knowledgeBase(target: N8nTarget): Tool {
  return defineTool({
    name: 'knowledge_base',
    description: 'Search the company knowledge base and get an answer with its sources.',
    parameters: z.object({
      query: z.string().trim().min(1).max(1000).describe('The question, in plain words'),
    }),
    timeoutMs: target.timeoutMs,
    async run({ query }, ctx): Promise<KnowledgeAnswer> {
      const body = await callN8n(target, { action: 'knowledge_base', query }, ctx);
      return readAnswer(body);
    },
  });
}

/**
 * `{answer, sources}` from the workflow's answer. n8n's AI Agent node names its text `output` and a plain
 * "Respond to Webhook" often `text`, so those are read too rather than making every workflow reshape its result.
 */
function readAnswer(body: unknown): KnowledgeAnswer {
  if (typeof body === 'string' && body.trim()) return { answer: body, sources: [] };
  if (!isJsonObject(body)) throw new ToolError('tool_failed', 'the knowledge-base workflow answered no object');
  const answer = [body.answer, body.output, body.text].find((v): v is string => typeof v === 'string');
  if (answer === undefined) throw new ToolError('tool_failed', 'the knowledge-base workflow answered no answer text');
  const sources = Array.isArray(body.sources) ? body.sources : [];
  return { answer, sources };
}
