"""Engram: the Python client, a sync API with the same methods as the TypeScript one."""
from __future__ import annotations

import time
from urllib.parse import quote
from typing import Any, Dict, List, Optional, Sequence, Union, cast

from .transport import RetryPolicy, Transport
from .types import (
    CiteResult,
    ContextResult,
    Document,
    DocumentStatus,
    EventsResult,
    ForgetResult,
    ForgetUserResult,
    JsonObject,
    RecallResult,
    RememberResult,
    SearchResult,
    Turn,
)


def _without_none(values: Dict[str, Any]) -> JsonObject:
    return {k: v for k, v in values.items() if v is not None}


def _segment(value: str) -> str:
    """An id as one URL path segment."""
    return quote(value, safe="")


class IngestHandle:
    """What `ingest` returns: the document as stored; its pipeline runs on the server."""

    def __init__(self, client: "Engram", submitted: JsonObject) -> None:
        self.id: str = submitted["id"]
        #: The version holding the content sent, and its status when it was stored.
        self.version: int = submitted["version"]
        self.status: str = submitted["status"]
        #: True: a new document.
        self.created: bool = submitted["created"]
        #: False: the content was already the document's (or its next version's); nothing was queued.
        self.changed: bool = submitted["changed"]
        self._client = client

    def _done(self, document: DocumentStatus) -> bool:
        live, nxt = document["version"], document.get("nextVersion")
        if live > self.version:
            return True
        if nxt is not None:
            return bool(nxt["version"] > self.version or (nxt["version"] == self.version and nxt["status"] == "failed"))
        # At this version, or its staged version was dropped: done once the live one is.
        return document["status"] in ("completed", "failed")

    def wait_until_done(self, poll_interval_s: float = 0.5, timeout_s: Optional[float] = None) -> DocumentStatus:
        """The document once this version is live, failed (`status` or `nextVersion.status`), or replaced."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            document = self._client.document(self.id)
            if self._done(document):
                return document
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"Document {self.id} is still {document['status']} after {timeout_s} s.")
            time.sleep(poll_interval_s)


class _Events:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def send(self, events: Sequence[JsonObject]) -> EventsResult:
        """Append a batch of agent events; each bad one comes back in `rejected` with its reason."""
        return cast(EventsResult, self._transport.call("POST", "/v1/events", {"events": list(events)}))


class _Metrics:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def summary(self, window: str = "1h", agent_id: Optional[str] = None, tool: Optional[str] = None) -> JsonObject:
        """Latency quantiles, acceptance, tool usage, sessions and productivity over a window."""
        query = {"window": window, "agentId": agent_id, "tool": tool}
        return cast(JsonObject, self._transport.call("GET", "/v1/metrics/summary", query=query))


class Engram:
    """A client for one Engram server. Raises EngramError when the server refuses a call."""

    def __init__(
        self,
        base_url: str,
        api_key: Optional[str] = None,
        timeout_s: float = 30.0,
        retry: RetryPolicy = RetryPolicy(),
    ) -> None:
        self._transport = Transport(base_url, api_key, timeout_s, retry)
        self.events = _Events(self._transport)
        self.metrics = _Metrics(self._transport)

    def remember(
        self,
        turns: Sequence[Union[Turn, JsonObject]],
        session_id: Optional[str] = None,
        user_id: Optional[str] = None,
        agent_id: Optional[str] = None,
    ) -> RememberResult:
        """Add turns to a session's memory, starting a session for user_id and agent_id first
        when no session_id is given."""
        if session_id is None:
            new_session = _without_none({"userId": user_id, "agentId": agent_id})
            session = self._transport.call("POST", "/v1/sessions", new_session)
            session_id = session["id"]
        body = {"turns": [t.to_json() if isinstance(t, Turn) else t for t in turns]}
        return cast(RememberResult, self._transport.call("POST", f"/v1/sessions/{_segment(session_id)}/turns", body))

    def recall(
        self,
        query: str,
        session_id: Optional[str] = None,
        user_id: Optional[str] = None,
        k: Optional[int] = None,
        tiers: Optional[List[str]] = None,
    ) -> RecallResult:
        """Memories for a query, ranked, each with its score breakdown and citation id."""
        body = _without_none({"query": query, "sessionId": session_id, "userId": user_id, "k": k, "tiers": tiers})
        return cast(RecallResult, self._transport.call("POST", "/v1/recall", body))

    def context(
        self,
        query: str,
        tokenizer: str,
        max_tokens: int,
        session_id: Optional[str] = None,
        user_id: Optional[str] = None,
        namespace: Optional[str] = None,
        separator: Optional[str] = None,
    ) -> ContextResult:
        """Recall packed into max_tokens of tokenizer: the text and its exact token IDs."""
        body = _without_none(
            {
                "query": query,
                "tokenizer": tokenizer,
                "maxTokens": max_tokens,
                "sessionId": session_id,
                "userId": user_id,
                "namespace": namespace,
                "separator": separator,
            }
        )
        return cast(ContextResult, self._transport.call("POST", "/v1/context", body))

    def cite(self, ids: Sequence[str]) -> CiteResult:
        """Report the memories the agent used: each gains salience."""
        return cast(CiteResult, self._transport.call("POST", "/v1/memories/cited", {"ids": list(ids)}))

    def forget(self, memory_id: str) -> ForgetResult:
        """Forget a memory and what was derived from it (episodes, promoted copies): ids deleted."""
        return cast(ForgetResult, self._transport.call("DELETE", f"/v1/memories/{_segment(memory_id)}"))

    def forget_user(self, user_id: str) -> ForgetUserResult:
        """Forget everything a user has: sessions, turns, episodes, promoted items."""
        path = f"/v1/users/{_segment(user_id)}/memories"
        return cast(ForgetUserResult, self._transport.call("DELETE", path))

    def ingest(self, document: Union[Document, str]) -> IngestHandle:
        """Store a document (or markdown text); call wait_until_done() on the handle to wait."""
        body = (document if isinstance(document, Document) else Document(document)).to_json()
        return IngestHandle(self, self._transport.call("POST", "/v1/documents", body))

    def document(self, document_id: str) -> DocumentStatus:
        """A document: status, stage, attempts, error, counts and timings."""
        return cast(DocumentStatus, self._transport.call("GET", f"/v1/documents/{_segment(document_id)}"))

    def search(
        self,
        query: str,
        k: Optional[int] = None,
        namespace: Optional[str] = None,
        filters: Optional[JsonObject] = None,
    ) -> SearchResult:
        """Hybrid search over the chunks of completed documents."""
        body = _without_none({"query": query, "k": k, "namespace": namespace, "filters": filters})
        return cast(SearchResult, self._transport.call("POST", "/v1/search", body))

