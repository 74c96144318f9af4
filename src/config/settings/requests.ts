// Settings of how long the HTTP API works on a request: its deadline once received, and the
// drain on shutdown that lets requests in flight finish before the process exits.
import { integer } from '../rules.js';

export const requestSettings = {
  /**
   * A request not answered within this many ms (from routing to response) gets 504 TIMEOUT and
   * its AbortSignal fires, cancelling the provider calls it is waiting for.
   */
  requestDeadlineMs: integer(100, 600_000).default(30_000),
  /**
   * On SIGTERM/SIGINT, requests in flight get this long to finish (no new connections are
   * accepted meanwhile); connections still open after it are closed.
   */
  shutdownDrainMs: integer(0, 600_000).default(10_000),
};
