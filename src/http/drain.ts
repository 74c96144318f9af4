// Graceful drain for a listening app: stop accepting connections, let requests in flight (and
// requests already sent on open connections) finish, close each keep-alive connection as soon as
// it is idle, and after `drainMs` close whatever is still open. Then Fastify's onClose hooks run.
// While draining, /ready answers 503.
import type { EngramApp } from './engram-app.js';

/** How often idle keep-alive connections are reaped while draining. */
const IDLE_REAP_INTERVAL_MS = 50;

export interface Drain {
  /** Resolves once the server is closed: every connection ended and the app's hooks ran. */
  drain(drainMs: number): Promise<{ forcedConnections: boolean }>;
}

export function installDrain(app: EngramApp): Drain {
  let draining = false;
  // A node that is leaving is not ready: probes that still reach it (on an open connection, or
  // already sent at the signal) answer 503, so a load balancer stops sending it work.
  app.addHook('onRequest', async (request, reply) => {
    if (!draining || request.routeOptions.url !== '/ready') return;
    return reply.status(503).send({
      status: 'unavailable',
      checks: [{ name: 'shutdown', ok: false, error: 'this node is shutting down (draining)' }],
    });
  });
  // Every answer sent while draining closes its connection behind it, so a keep-alive client
  // moves to another node instead of holding this one open.
  app.addHook('onSend', async (_request, reply) => {
    if (draining) void reply.header('connection', 'close');
  });

  return {
    async drain(drainMs) {
      draining = true;
      const server = app.server;
      // A full turn of the event loop first (a poll phase after the signal): connections the
      // kernel already completed are taken in and served, instead of being reset when the
      // listener closes. Connections still arriving after that are refused.
      await new Promise((resolve) => setTimeout(resolve, 0));
      await new Promise((resolve) => setImmediate(resolve));
      const reap = setInterval(() => server.closeIdleConnections(), IDLE_REAP_INTERVAL_MS);
      let forcedConnections = false;
      const force = setTimeout(() => {
        forcedConnections = true;
        server.closeAllConnections();
      }, drainMs);
      try {
        await app.close();
      } finally {
        clearInterval(reap);
        clearTimeout(force);
      }
      return { forcedConnections };
    },
  };
}
