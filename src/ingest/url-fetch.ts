// Fetches a document by URL for POST /v1/documents {"url"}, guarded against server-side request
// forgery: the host is resolved first and every address must be public (no loopback, private,
// link-local, unique-local, CGNAT, multicast, IPv4-mapped or other special range) unless
// ENGRAM_FETCH_ALLOWED_HOSTS names the host; the connection is pinned to the checked address so a
// second DNS answer cannot switch it (rebinding); each redirect hop is checked the same way and
// their number is capped; the whole fetch has a deadline and the body a byte limit.
import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { AppError, errorMessage } from '../domain/errors.js';

export interface UrlFetchOptions {
  /** Host names (or literal addresses) that may resolve to non-public addresses. */
  allowedHosts: string[];
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
}

export interface FetchedDocument {
  bytes: Buffer;
  /** The URL the content came from, after redirects. */
  finalUrl: string;
  contentType: string | undefined;
}

export type UrlFetcher = (url: string, signal?: AbortSignal) => Promise<FetchedDocument>;

// Two lists: Node's BlockList also matches an IPv4 address against IPv6 rules (as ::ffff:a.b.c.d),
// so one list holding ::ffff:0:0/96 would refuse every IPv4 address.
const NON_PUBLIC_V4 = new BlockList();
const NON_PUBLIC_V6 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC_V4.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC_V6.addSubnet(network, prefix, 'ipv6');
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return family === 4
    ? !NON_PUBLIC_V4.check(address, 'ipv4')
    : !NON_PUBLIC_V6.check(address, 'ipv6');
}

export function createUrlFetcher(options: UrlFetchOptions): UrlFetcher {
  const allowed = new Set(options.allowedHosts.map((host) => host.toLowerCase()));

  /** Resolves the URL's host and returns the one address the connection must use. */
  async function checkedAddress(url: URL): Promise<{ address: string; family: number }> {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    let addresses: { address: string; family: number }[];
    try {
      addresses =
        isIP(host) !== 0
          ? [{ address: host, family: isIP(host) }]
          : await lookup(host, { all: true });
    } catch (error) {
      throw new AppError(
        'INVALID_INPUT',
        `The host ${host} could not be resolved (${errorMessage(error)}).`,
      );
    }
    if (addresses.length === 0)
      throw new AppError('INVALID_INPUT', `The host ${host} has no address.`);
    if (!allowed.has(host)) {
      const refused = addresses.find((entry) => !isPublicAddress(entry.address));
      if (refused !== undefined) {
        throw new AppError(
          'FORBIDDEN',
          `Fetching ${url.origin} is refused: ${host} resolves to ${refused.address}, a loopback, private or otherwise non-public address. Add the host to ENGRAM_FETCH_ALLOWED_HOSTS if this server should reach it.`,
          { details: { host, address: refused.address } },
        );
      }
    }
    return addresses[0]!;
  }

  function get(url: URL, pinned: { address: string; family: number }, signal: AbortSignal) {
    // The checked address is the only one this connection may use.
    const pinnedLookup: LookupFunction = (_host, lookupOptions, callback) => {
      if (lookupOptions.all === true) callback(null, [pinned]);
      else callback(null, pinned.address, pinned.family);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(
        url,
        {
          method: 'GET',
          lookup: pinnedLookup,
          signal,
          headers: { accept: '*/*', 'user-agent': 'engram' },
        },
        resolve,
      );
      req.on('error', reject);
      req.end();
    });
  }

  async function readLimited(response: IncomingMessage, url: URL): Promise<Buffer> {
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      response.destroy();
      throw tooLarge(url, options.maxBytes);
    }
    const parts: Buffer[] = [];
    let total = 0;
    for await (const part of response as AsyncIterable<Buffer>) {
      total += part.length;
      if (total > options.maxBytes) {
        response.destroy();
        throw tooLarge(url, options.maxBytes);
      }
      parts.push(part);
    }
    return Buffer.concat(parts);
  }

  return async (rawUrl, outerSignal) => {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw new AppError('VALIDATION_FAILED', `"${rawUrl}" is not a URL.`);
    }
    const signal = AbortSignal.any([
      AbortSignal.timeout(options.timeoutMs),
      ...(outerSignal === undefined ? [] : [outerSignal]),
    ]);
    try {
      for (let hop = 0; ; hop += 1) {
        if (url.protocol !== 'http:' && url.protocol !== 'https:') {
          throw new AppError(
            'VALIDATION_FAILED',
            `Only http and https URLs can be fetched, not ${url.protocol}`,
          );
        }
        if (url.username !== '' || url.password !== '') {
          throw new AppError(
            'VALIDATION_FAILED',
            'A URL with credentials in it is refused; it would end up stored.',
          );
        }
        const response = await get(url, await checkedAddress(url), signal);
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400 && response.headers.location !== undefined) {
          response.resume();
          if (hop >= options.maxRedirects) {
            throw new AppError(
              'INVALID_INPUT',
              `${rawUrl} redirects more than ${options.maxRedirects} times.`,
            );
          }
          url = new URL(response.headers.location, url);
          continue;
        }
        if (status < 200 || status >= 300) {
          response.resume();
          throw new AppError(
            'INVALID_INPUT',
            `${url.href} answered HTTP ${status}; nothing was stored.`,
            {
              details: { status },
            },
          );
        }
        return {
          bytes: await readLimited(response, url),
          finalUrl: url.href,
          contentType: response.headers['content-type'],
        };
      }
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (signal.aborted && outerSignal?.aborted !== true) {
        throw new AppError(
          'TIMEOUT',
          `Fetching ${rawUrl} took longer than ${options.timeoutMs} ms (ENGRAM_FETCH_TIMEOUT_MS).`,
        );
      }
      throw new AppError('INVALID_INPUT', `Fetching ${rawUrl} failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  };
}

function tooLarge(url: URL, maxBytes: number): AppError {
  return new AppError(
    'INPUT_TOO_LARGE',
    `${url.href} is larger than ${maxBytes} bytes (ENGRAM_MAX_DOCUMENT_BYTES); nothing was stored.`,
    { details: { limit: maxBytes } },
  );
}
