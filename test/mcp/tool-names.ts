// The tools Engram's MCP server offers, on stdio and over HTTP alike.
export const MCP_TOOLS = [
  'cite',
  'delete_document',
  'document_status',
  'entity_neighbourhood',
  'find_entities',
  'forget',
  'get_context',
  'ingest_document',
  'list_documents',
  'metrics_summary',
  'recall',
  'remember',
  'search_documents',
];
