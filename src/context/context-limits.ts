// The largest token budget of one context: the HTTP schema, the MCP tool and the service all read
// this one constant, so what is advertised is what is served.

export const MAX_TOKENS_LIMIT = 128_000;
