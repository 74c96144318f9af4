// OTLP requests for the receiver's edge tests: JSON-shaped requests (ids hex or base64) and their
// protobuf bytes, encoded with protobufjs from the vendored .proto files, plus a protobuf span
// whose attribute nests AnyValue arrays `depth` levels deep, written iteratively (an encoder
// would overflow its stack first).
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => PROTO_DIR + target;
root.loadSync([
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
]);

const TRACE_REQUEST = root.lookupType(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
);
const LOGS_REQUEST = root.lookupType(
  'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
);
export const TRACE_RESPONSE = root.lookupType(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse',
);

export interface JsonSpan {
  traceId: string;
  spanId: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
  status?: { code: number };
  [unknown: string]: unknown;
}

export function spanRequest(spans: JsonSpan[], serviceName = 'otlp-edge'): Record<string, unknown> {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [{ key: 'service.name', value: { stringValue: serviceName } }],
        },
        scopeSpans: [{ scope: { name: 'edge' }, spans }],
      },
    ],
  };
}

/** Protobuf bytes of a JSON-shaped trace request whose ids are hex. */
export function spanRequestBytes(request: Record<string, unknown>): Buffer {
  const hexToBase64 = (key: string, value: unknown) =>
    (key === 'traceId' || key === 'spanId') && typeof value === 'string'
      ? Buffer.from(value, 'hex').toString('base64')
      : value;
  const withBase64Ids = JSON.parse(JSON.stringify(request), hexToBase64) as Record<string, unknown>;
  return Buffer.from(TRACE_REQUEST.encode(TRACE_REQUEST.fromObject(withBase64Ids)).finish());
}

/** Protobuf bytes of a JSON-shaped logs request (records without trace context). */
export function logRequestBytes(request: Record<string, unknown>): Buffer {
  return Buffer.from(LOGS_REQUEST.encode(LOGS_REQUEST.fromObject(request)).finish());
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A length-delimited field header: tag (field, wire type 2) and length. */
function header(field: number, length: number): number[] {
  return [(field << 3) | 2, ...varint(length)];
}

/** One span (hex ids) with attribute "deep": arrayValue in arrayValue, `depth` levels. */
export function deepAttributeSpanBytes(span: JsonSpan, depth: number): Buffer {
  const leaf = Buffer.from([...header(1, 1), 0x78]); // AnyValue{stringValue: "x"}
  // Lengths inside out: AnyValue{arrayValue(5): ArrayValue{values(1): AnyValue…}}.
  const headers: number[][] = [];
  let length = leaf.length;
  for (let level = 0; level < depth; level += 1) {
    const values = header(1, length);
    length += values.length;
    const arrayValue = header(5, length);
    length += arrayValue.length;
    headers.push([...arrayValue, ...values]);
  }
  const anyValue = Buffer.concat([Buffer.from(headers.reverse().flat()), leaf]);
  const key = Buffer.from([...header(1, 4), ...Buffer.from('deep')]);
  const keyValue = Buffer.concat([key, Buffer.from(header(2, anyValue.length)), anyValue]);
  const attribute = Buffer.concat([Buffer.from(header(9, keyValue.length)), keyValue]);
  const spanBytes = Buffer.concat([
    Buffer.from(
      root
        .lookupType('opentelemetry.proto.trace.v1.Span')
        .encode(
          root.lookupType('opentelemetry.proto.trace.v1.Span').fromObject({
            ...span,
            traceId: Buffer.from(span.traceId, 'hex'),
            spanId: Buffer.from(span.spanId, 'hex'),
          }),
        )
        .finish(),
    ),
    attribute,
  ]);
  const scopeSpans = Buffer.concat([Buffer.from(header(2, spanBytes.length)), spanBytes]);
  const resourceSpans = Buffer.concat([Buffer.from(header(2, scopeSpans.length)), scopeSpans]);
  return Buffer.concat([Buffer.from(header(1, resourceSpans.length)), resourceSpans]);
}
