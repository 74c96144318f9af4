// `engram mcp`: the MCP server over stdio, for agent hosts that spawn their tools.
// stdout carries the protocol, so logs go to stderr.
import type { Command } from 'commander';
import { DEFAULT_TENANT } from '../../http/auth.js';
import { createCommandLogger, loadCommandConfig, openRuntime, type Env } from '../load.js';

export function registerMcpCommand(program: Command, env: Env, version: string): void {
  program
    .command('mcp')
    .description(
      'Serve the MCP protocol over stdio (the tools of /mcp: remember, recall, forget, get_context, ingest_document, …)',
    )
    .option('--tenant <tenant>', 'the tenant this server acts for', DEFAULT_TENANT)
    .option(
      '--no-background',
      'do not run background workers here (another engram process runs them)',
    )
    .action(async (options: { tenant: string; background: boolean }, command: Command) => {
      const config = loadCommandConfig(command, env);
      const logger = createCommandLogger(config, true);
      const runtime = await openRuntime(config, logger);
      const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
      const { createMcpServer } = await import('../../mcp/server.js');
      if (options.background) runtime.startBackground();
      const server = createMcpServer(runtime, { tenantId: options.tenant, version });
      const transport = new StdioServerTransport();
      let closing = false;
      const close = async () => {
        if (closing) return;
        closing = true;
        await server.close();
        await runtime.close();
      };
      transport.onclose = () => void close();
      process.stdin.on('end', () => void close());
      process.once('SIGTERM', () => void close());
      process.once('SIGINT', () => void close());
      await server.connect(transport);
      logger.info({ tenant: options.tenant }, 'MCP server ready on stdio');
    });
}
