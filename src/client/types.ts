// Names for the request and response shapes the client's methods take and return, read off the
// generated OpenAPI types (generated/api.ts) or the server's own schemas: none written by hand.
import type { TelemetryEventInput } from '../telemetry/events.js';
import type { paths } from './generated/api.js';

type JsonRequest<Operation> = Operation extends {
  requestBody?: { content: { 'application/json': infer Body } };
}
  ? Body
  : never;
type JsonResponse<Operation, Status extends number> = Operation extends {
  responses: { [S in Status]: { content: { 'application/json': infer Body } } };
}
  ? Body
  : never;
type Query<Operation> = Operation extends { parameters: { query?: infer Q } } ? Q : never;

type TurnsRequest = JsonRequest<paths['/v1/sessions/{id}/turns']['post']>;
export type Turn = Extract<TurnsRequest, { turns: unknown }>['turns'][number];
export type RememberResult = JsonResponse<paths['/v1/sessions/{id}/turns']['post'], 201>;
export type SessionInput = NonNullable<JsonRequest<paths['/v1/sessions']['post']>>;

type RecallRequest = JsonRequest<paths['/v1/recall']['post']>;
export type RecallScope = Omit<RecallRequest, 'query'>;
export type RecallResult = JsonResponse<paths['/v1/recall']['post'], 200>;

type ContextRequest = JsonRequest<paths['/v1/context']['post']>;
export type ContextOptions = Omit<ContextRequest, 'query'>;
export type ContextResult = JsonResponse<paths['/v1/context']['post'], 200>;

export type CiteResult = JsonResponse<paths['/v1/memories/cited']['post'], 200>;
export type ForgetResult = JsonResponse<paths['/v1/memories/{id}']['delete'], 200>;
export type ForgetUserResult = JsonResponse<paths['/v1/users/{userId}/memories']['delete'], 200>;

type DocumentsRequest = JsonRequest<paths['/v1/documents']['post']>;
export type DocumentInput = Exclude<DocumentsRequest, { documents: unknown }>;
export type SubmittedDocument = Exclude<
  JsonResponse<paths['/v1/documents']['post'], 202>,
  { documents: unknown }
>;
export type Document = JsonResponse<paths['/v1/documents/{id}']['get'], 200>;
/** New content for an existing document (PUT /v1/documents/{id}). */
export type DocumentVersionInput = JsonRequest<paths['/v1/documents/{id}']['put']>;

type SearchRequest = JsonRequest<paths['/v1/search']['post']>;
export type SearchOptions = Omit<SearchRequest, 'query'>;
export type SearchResult = JsonResponse<paths['/v1/search']['post'], 200>;

/** The OpenAPI document leaves events untyped (each is validated on its own): the server's type. */
export type EventBatch = TelemetryEventInput[];
export type EventsResult = JsonResponse<paths['/v1/events']['post'], 202>;

export type MetricsSummaryQuery = NonNullable<Query<paths['/v1/metrics/summary']['get']>>;
export type MetricsSummary = JsonResponse<paths['/v1/metrics/summary']['get'], 200>;
