// The OTLP protobuf messages, from the official opentelemetry-proto .proto files vendored in
// proto/ (v1.11.0, Apache-2.0), loaded with protobufjs: no hand-written wire-format code.
// Decoded messages are turned into the same plain shape the OTLP JSON encoding has (camelCase
// fields, int64 as decimal strings, bytes as base64, enums as integers), so one mapping serves both.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** The three OTLP signals Engram receives. */
export type OtlpSignal = 'traces' | 'logs' | 'metrics';

// src/telemetry/otlp/ and dist/telemetry/otlp/ are both three levels below the package root.
const PROTO_DIR = fileURLToPath(new URL('../../../proto/', import.meta.url));

const SERVICES: Record<OtlpSignal, { file: string; message: string }> = {
  traces: {
    file: 'opentelemetry/proto/collector/trace/v1/trace_service.proto',
    message: 'opentelemetry.proto.collector.trace.v1.ExportTrace',
  },
  logs: {
    file: 'opentelemetry/proto/collector/logs/v1/logs_service.proto',
    message: 'opentelemetry.proto.collector.logs.v1.ExportLogs',
  },
  metrics: {
    file: 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
    message: 'opentelemetry.proto.collector.metrics.v1.ExportMetrics',
  },
};

let root: protobuf.Root | undefined;

function loadRoot(): protobuf.Root {
  if (root !== undefined) return root;
  const loaded = new protobuf.Root();
  loaded.resolvePath = (_origin, target) => PROTO_DIR + target;
  loaded.loadSync(Object.values(SERVICES).map((s) => s.file));
  loaded.resolveAll();
  root = loaded;
  return loaded;
}

function typeOf(signal: OtlpSignal, suffix: 'ServiceRequest' | 'ServiceResponse'): protobuf.Type {
  return loadRoot().lookupType(`${SERVICES[signal].message}${suffix}`);
}

/** Decodes an Export*ServiceRequest; throws on bytes that are not one. */
export function decodeRequest(signal: OtlpSignal, bytes: Uint8Array): Record<string, unknown> {
  const type = typeOf(signal, 'ServiceRequest');
  return type.toObject(type.decode(bytes), {
    longs: String,
    enums: Number,
    bytes: String,
    defaults: false,
    arrays: false,
  });
}

// google.rpc.Status, the body of an OTLP error answer: code = 1 (int32), message = 2 (string),
// details = 3 (repeated Any, never sent by Engram so left out of the type).
let status: protobuf.Type | undefined;

/** A google.rpc.Status message (gRPC status code and message) in protobuf bytes. */
export function encodeStatus(code: number, message: string): Uint8Array {
  status ??= new protobuf.Type('Status')
    .add(new protobuf.Field('code', 1, 'int32'))
    .add(new protobuf.Field('message', 2, 'string'));
  return status.encode(status.fromObject({ code, message })).finish();
}

/** Encodes an Export*ServiceResponse given in its JSON shape. */
export function encodeResponse(signal: OtlpSignal, response: Record<string, unknown>): Uint8Array {
  const type = typeOf(signal, 'ServiceResponse');
  return type.encode(type.fromObject(response)).finish();
}
