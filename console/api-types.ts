// Names for the answers the console reads, taken from the types generated from the server's
// OpenAPI document (src/client/generated/api.ts): none written by hand.
import type { paths } from '../src/client/generated/api';

type Json<Operation, Status extends number> = Operation extends {
  responses: { [S in Status]: { content: { 'application/json': infer Body } } };
}
  ? Body
  : never;

export type DocumentList = Json<paths['/v1/documents']['get'], 200>;
export type Document = Json<paths['/v1/documents/{id}']['get'], 200>;
export type DocumentStatus = Document['status'];
export type ChunkPage = Json<paths['/v1/documents/{id}/chunks']['get'], 200>;
export type Submitted = Exclude<Json<paths['/v1/documents']['post'], 202>, { documents: unknown }>;
export type Deleted = Json<paths['/v1/documents/{id}']['delete'], 200>;
export type MetricsSummary = Json<paths['/v1/metrics/summary']['get'], 200>;
export type DeadLetterPage = Json<paths['/v1/telemetry/dlq']['get'], 200>;
export type Readiness = Json<paths['/ready']['get'], 200> | Json<paths['/ready']['get'], 503>;
export type SearchResult = Json<paths['/v1/search']['post'], 200>;
export type SearchHit = SearchResult['hits'][number];
export type RecallResult = Json<paths['/v1/recall']['post'], 200>;
export type RecallItem = RecallResult['items'][number];
export type SessionList = Json<paths['/v1/sessions']['get'], 200>;
export type SessionDetail = Json<paths['/v1/sessions/{id}']['get'], 200>;
export type MetricsSeries = Json<paths['/v1/metrics/series']['get'], 200>;
export type EntityList = Json<paths['/v1/entities']['get'], 200>;
export type EntityDetail = Json<paths['/v1/entities/{id}']['get'], 200>;
export type Neighborhood = Json<paths['/v1/graph/neighborhood']['get'], 200>;
export type PackedContext = Json<paths['/v1/context']['post'], 200>;
export type MemoryStats = Json<paths['/v1/memories/stats']['get'], 200>;
export type DocumentStats = Json<paths['/v1/documents/stats']['get'], 200>;
export type Cited = Json<paths['/v1/memories/cited']['post'], 200>;
export type RetriedDocument = Json<paths['/v1/documents/{id}/retry']['post'], 202>;
export type MentionPage = Json<paths['/v1/entities/{id}/mentions']['get'], 200>;
export type EpisodePage = Json<paths['/v1/sessions/{id}/episodes']['get'], 200>;
