import { z } from 'zod';
import { ToolError } from '../core/errors.ts';
import { defineTool, type Tool } from './define-tool.ts';
import { isJsonObject } from './http-call.ts';
import { callN8n, type N8nTarget } from './n8n-webhook.ts';
import { e164Schema } from './phone-number.ts';

/**
 * Customer record and recent activity from the CRM workflow in n8n, by phone number (the caller's unless the model
 * names another). The workflow's answer goes to the model as it comes: its shape is the workflow's business.
 *
 * On a phone call whose number Twilio gave us, only that number may be looked up: a caller who says "look up
 * +1…" must not hear another customer's record read out. Browser sessions (behind the admin token) may name any.
 */
export function lookupCustomer(target: N8nTarget): Tool {
  return defineTool({
    name: 'lookup_customer',
    description:
      "Look up a customer's record and recent activity by phone number. Leave phone_number out to look up the caller.",
    parameters: z.object({
      phone_number: e164Schema.optional().describe("E.164 phone number; defaults to the caller's number"),
    }),
    timeoutMs: target.timeoutMs,
    async run({ phone_number }, ctx) {
      const phone = phone_number ?? ctx.from;
      if (ctx.kind === 'phone' && ctx.from && phone !== ctx.from)
        throw new ToolError('tool_invalid_arguments', "on a phone call only the caller's own record can be looked up");
      if (!phone)
        throw new ToolError('tool_invalid_arguments', "no phone_number given and the caller's number is unknown");
      const body = await callN8n(target, { action: 'lookup_customer', phoneNumber: phone }, ctx);
      if (!isJsonObject(body)) throw new ToolError('tool_failed', 'the customer workflow answered no object');
      return body;
    },
  });
}
