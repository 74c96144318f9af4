"""The shapes the client sends and returns. Answers are the server's JSON as dicts, typed here
with TypedDicts (names as on the wire, camelCase) so they stay exactly what the OpenAPI document
at /docs/json says; inputs are dataclasses."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, TypedDict, Union

JsonObject = Dict[str, Any]


@dataclass
class Turn:
    """One turn of a conversation. `id` makes a retry safe: the same id is stored once."""

    speaker: str
    content: str
    id: Optional[str] = None
    at: Optional[Union[int, str]] = None
    metadata: Optional[JsonObject] = None

    def to_json(self) -> JsonObject:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Document:
    """A document to ingest; mime_type is text/markdown, text/plain or text/html."""

    content: str
    title: Optional[str] = None
    mime_type: str = "text/markdown"
    namespace: Optional[str] = None
    metadata: JsonObject = field(default_factory=dict)
    #: Your name for the document: the same key with new content is a new version of it.
    key: Optional[str] = None

    def to_json(self) -> JsonObject:
        body: JsonObject = {"content": self.content, "mimeType": self.mime_type, "metadata": self.metadata}
        if self.title is not None:
            body["title"] = self.title
        if self.namespace is not None:
            body["namespace"] = self.namespace
        if self.key is not None:
            body["key"] = self.key
        return body


class Session(TypedDict):
    id: str
    userId: Optional[str]
    agentId: Optional[str]
    metadata: JsonObject
    createdAt: str
    lastActiveAt: str
    expiresAt: str
    turnCount: int
    distilledThrough: int


class StoredTurn(TypedDict):
    id: str
    seq: Optional[int]
    tier: str


class RememberResult(TypedDict):
    session: Session
    turns: List[StoredTurn]


class RecallItem(TypedDict):
    id: str
    tier: str
    kind: str
    text: str
    occurredAt: Optional[str]
    speaker: Optional[str]
    source: JsonObject
    score: Dict[str, Optional[float]]
    confidence: float


class RecallResult(TypedDict, total=False):
    items: List[RecallItem]
    intent: str
    time: JsonObject
    degraded: List[str]
    timingsMs: Dict[str, float]


class ContextSpan(TypedDict):
    id: str
    tokenStart: int
    tokenEnd: int


class ContextResult(TypedDict):
    text: str
    tokenIds: List[int]
    tokenCount: int
    items: List[ContextSpan]
    truncated: bool
    tokenizer: Dict[str, str]
    cache: Dict[str, int]
    timings: Dict[str, float]


class CiteResult(TypedDict):
    updated: List[Dict[str, Any]]
    unknownIds: List[str]


class ForgetResult(TypedDict):
    forgotten: List[str]


class ForgetUserResult(TypedDict):
    deleted: int
    sessions: int


class DocumentStatus(TypedDict):
    id: str
    namespace: str
    key: Optional[str]
    #: The live version; nextVersion is a newer one in progress or failed (or None).
    version: int
    nextVersion: Optional[JsonObject]
    title: Optional[str]
    status: str
    stage: Optional[str]
    attempts: int
    error: Optional[str]
    counts: Dict[str, int]
    graph: "DocumentGraph"
    timings: Dict[str, float]


class DocumentGraph(TypedDict):
    """Knowledge-graph extraction: chunks sent, read, and left out (with the first cause)."""

    chunks: int
    extracted: int
    failed: int
    failure: Optional[str]


class SearchHit(TypedDict):
    chunkId: str
    documentId: str
    documentTitle: Optional[str]
    namespace: str
    text: str
    headingPath: List[str]
    score: float


class SearchResult(TypedDict, total=False):
    hits: List[SearchHit]
    degraded: str


class EventsResult(TypedDict):
    accepted: int
    rejected: List[Dict[str, Any]]
