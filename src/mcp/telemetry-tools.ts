// MCP tool of telemetry: the tenant's agent metrics over a window.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { Runtime } from '../runtime.js';
import { WINDOWS, type WindowName } from '../telemetry/service.js';
import { answer } from './tool-answer.js';

export function registerTelemetryTools(
  server: McpServer,
  runtime: Runtime,
  tenantId: string,
): void {
  server.registerTool(
    'metrics_summary',
    {
      title: 'Agent metrics',
      description:
        'What the telemetry events of this tenant add up to over a window back from now: model-call latency quantiles, tokens and cost, acceptance rate, tool calls and success by tool, sessions, productivity score. Narrow with agentId or tool.',
      inputSchema: {
        window: z.enum(Object.keys(WINDOWS) as [WindowName, ...WindowName[]]).default('1h'),
        agentId: z.string().min(1).max(200).optional(),
        tool: z.string().min(1).max(200).optional(),
      },
    },
    async (input) =>
      answer(input, () =>
        runtime.telemetry.summary(tenantId, {
          window: input.window,
          ...(input.agentId === undefined ? {} : { agentId: input.agentId }),
          ...(input.tool === undefined ? {} : { tool: input.tool }),
        }),
      ),
  );
}
