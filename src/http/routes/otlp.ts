// The OTLP/HTTP receiver: POST /otlp/v1/traces, /otlp/v1/logs, /otlp/v1/metrics, so an exporter
// is pointed at OTEL_EXPORTER_OTLP_ENDPOINT=http://host:8420/otlp. Bodies are
// application/x-protobuf or application/json, plain or gzip; the answer has the request's
// encoding. Tenant API keys, rate limits and the 503 + Retry-After of a full telemetry stream
// are the rest of the API's (the routes are ordinary tenant routes in route-access.ts).
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError } from '../../domain/errors.js';
import { OtlpInputError } from '../../telemetry/otlp/attributes.js';
import { encodeResponse, encodeStatus, type OtlpSignal } from '../../telemetry/otlp/proto.js';
import type { ErrorBody } from '../error-body.js';
import type { OtlpEncoding, OtlpReceiver } from '../../telemetry/otlp/receiver.js';

const gunzipAsync = promisify(gunzip);

export interface OtlpRouteOptions {
  /** Largest body, bytes, before and after gzip decompression. */
  maxBytes: number;
}

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
const SIGNALS: OtlpSignal[] = ['traces', 'logs', 'metrics'];
/** gRPC status codes of the HTTP statuses Engram answers with (google.rpc.Code). */
const GRPC_CODE_OF: Record<number, number> = {
  400: 3, // INVALID_ARGUMENT
  401: 16, // UNAUTHENTICATED
  403: 7, // PERMISSION_DENIED
  404: 5, // NOT_FOUND
  413: 3, // INVALID_ARGUMENT: the export is too large to take
  429: 8, // RESOURCE_EXHAUSTED
  503: 14, // UNAVAILABLE
  504: 4, // DEADLINE_EXCEEDED
};

declare module 'fastify' {
  interface FastifyRequest {
    otlpEncoding?: OtlpEncoding;
  }
}

async function decompressed(body: Buffer, encoding: string | undefined, maxBytes: number) {
  const name = (encoding ?? 'identity').trim().toLowerCase();
  if (name === 'identity' || name === '') return body;
  if (name !== 'gzip')
    throw new AppError(
      'INVALID_INPUT',
      `Content-Encoding ${JSON.stringify(name.slice(0, 40))} is not supported; send gzip or no encoding.`,
    );
  try {
    return await gunzipAsync(body, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new AppError(
        'INPUT_TOO_LARGE',
        `The gzip body decompresses to more than ${maxBytes} bytes (ENGRAM_TELEMETRY_BATCH_MAX_BYTES); export smaller batches.`,
        { details: { maxBytes } },
      );
    throw new AppError('INVALID_INPUT', `The body is not valid gzip: ${(error as Error).message}`);
  }
}

export function otlpRoutes(
  receiver: OtlpReceiver,
  options: OtlpRouteOptions,
): FastifyPluginAsyncZod {
  return async (app) => {
    // An error answer is the spec's google.rpc.Status: protobuf bytes to a protobuf request;
    // to a JSON request, Engram's error body with the Status fields (code, message) beside it.
    app.addHook('onSend', async (request, reply, payload) => {
      if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
      let body: ErrorBody;
      try {
        body = JSON.parse(payload) as ErrorBody;
      } catch {
        return payload;
      }
      const code = GRPC_CODE_OF[reply.statusCode] ?? 13; // INTERNAL
      const message = `${body.error.code}: ${body.error.message} (requestId ${body.error.requestId})`;
      if (request.headers['content-type']?.toLowerCase().startsWith(PROTOBUF) === true) {
        void reply.type(PROTOBUF);
        return Buffer.from(encodeStatus(code, message));
      }
      return JSON.stringify({ code, message, details: [], ...body });
    });

    // Bodies arrive as bytes; the receiver decodes them (protobuf or JSON) after decompression.
    app.removeAllContentTypeParsers();
    for (const [type, encoding] of [
      [PROTOBUF, 'protobuf'],
      [JSON_TYPE, 'json'],
    ] as const) {
      app.addContentTypeParser(
        type,
        { parseAs: 'buffer', bodyLimit: options.maxBytes },
        (request, body, done) => {
          request.otlpEncoding = encoding;
          done(null, body);
        },
      );
    }
    app.addContentTypeParser('*', (request, _payload, done) => {
      done(
        new AppError(
          'INVALID_INPUT',
          `Unsupported Content-Type ${JSON.stringify((request.headers['content-type'] ?? '').slice(0, 80))}: send ${PROTOBUF} or ${JSON_TYPE}.`,
        ),
      );
    });

    for (const signal of SIGNALS) {
      app.post(
        `/otlp/v1/${signal}`,
        {
          bodyLimit: options.maxBytes,
          schema: {
            tags: ['telemetry'],
            summary: `OTLP/HTTP ${signal} export (application/x-protobuf or application/json, optionally gzip).`,
            description:
              'Maps GenAI spans and Claude Code / Codex log events to telemetry events (table in docs/telemetry.md). ' +
              'Answers Export*ServiceResponse in the request encoding; partialSuccess counts what was not folded and why.',
          },
        },
        async (request, reply) => {
          const encoding = request.otlpEncoding;
          if (encoding === undefined || !Buffer.isBuffer(request.body))
            throw new AppError(
              'INVALID_INPUT',
              `Send an OTLP ${signal} request body as ${PROTOBUF} or ${JSON_TYPE}.`,
            );
          const body = await decompressed(
            request.body,
            request.headers['content-encoding'],
            options.maxBytes,
          );
          let result;
          try {
            result = await receiver.receive(request.tenantId, signal, body, encoding);
          } catch (error) {
            if (error instanceof OtlpInputError)
              throw new AppError(
                'INVALID_INPUT',
                `Invalid OTLP ${signal} export: ${error.message}.`,
              );
            throw error;
          }
          if (encoding === 'json') return reply.type(JSON_TYPE).send(result.response);
          return reply.type(PROTOBUF).send(Buffer.from(encodeResponse(signal, result.response)));
        },
      );
    }
  };
}
