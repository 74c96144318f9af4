// The MCP server: Engram's four capabilities as tools an agent calls directly, over the same
// services the HTTP API uses, behind the same input checks. One server acts for one tenant; it
// is served on stdio (`engram mcp`) and over Streamable HTTP at /mcp (src/http/mcp-route.ts).
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Runtime } from '../runtime.js';
import { registerKnowledgeTools } from './knowledge-tools.js';
import { registerMemoryTools } from './memory-tools.js';
import { registerTelemetryTools } from './telemetry-tools.js';

export interface McpServerOptions {
  tenantId: string;
  version: string;
}

export function createMcpServer(runtime: Runtime, options: McpServerOptions): McpServer {
  const server = new McpServer({ name: 'engram', version: options.version });
  registerMemoryTools(server, runtime, options.tenantId);
  registerKnowledgeTools(server, runtime, options.tenantId);
  registerTelemetryTools(server, runtime, options.tenantId);
  return server;
}
