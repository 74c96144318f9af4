// MCP over Streamable HTTP at /mcp: the transport MCP hosts use for remote servers. Each POST is
// authenticated like every API route (the key's tenant; the default tenant without keys), rate
// limited and size limited like them, and answered by a fresh MCP server acting for that tenant.
// Stateless: no MCP session outlives its request, so a session id can never carry one tenant's
// access to another key, and any API node can answer any request. GET (a server-to-client event
// stream) and DELETE (ending a session) therefore answer 405, as the specification allows.
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyPluginAsync } from 'fastify';
import { createMcpServer } from '../mcp/server.js';
import type { Runtime } from '../runtime.js';

export const MCP_PATH = '/mcp';

export function mcpRoutes(runtime: Runtime, options: { version: string }): FastifyPluginAsync {
  return async (app) => {
    app.post(MCP_PATH, { schema: { hide: true } }, async (request, reply) => {
      const server = createMcpServer(runtime, {
        tenantId: request.tenantId,
        version: options.version,
      });
      // No sessionIdGenerator: stateless mode.
      const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
      reply.hijack();
      reply.raw.once('close', () => {
        void transport.close();
        void server.close();
      });
      // The x-request-id every API answer carries.
      reply.raw.setHeader('x-request-id', request.id);
      try {
        await server.connect(transport);
        await transport.handleRequest(request.raw, reply.raw, request.body);
      } catch (error) {
        request.log.error({ err: error }, 'MCP request failed');
        if (!reply.raw.headersSent) {
          reply.raw.writeHead(500, { 'content-type': 'application/json' });
          reply.raw.end(
            JSON.stringify({
              jsonrpc: '2.0',
              error: { code: -32603, message: 'Internal error' },
              id: null,
            }),
          );
        }
      }
    });

    for (const method of ['GET', 'DELETE'] as const) {
      app.route({
        method,
        url: MCP_PATH,
        schema: { hide: true },
        handler: async (_request, reply) =>
          reply
            .status(405)
            .header('allow', 'POST')
            .send({
              jsonrpc: '2.0',
              error: {
                code: -32000,
                message: 'This server is stateless: send JSON-RPC requests with POST.',
              },
              id: null,
            }),
      });
    }
  };
}
