"""EngramError: what a call raises when the server refuses it (its code, message and request id,
from the error body every Engram answer uses) or when no answer came in time."""
from __future__ import annotations

import json
from typing import Any, Dict, Optional


class EngramError(Exception):
    """`code` is the server's stable code (RATE_LIMITED, DOCUMENT_NOT_FOUND, ...), or the client's
    own CLIENT_TIMEOUT / UNEXPECTED_RESPONSE; `status` is 0 when no answer came."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int,
        request_id: Optional[str] = None,
        details: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.request_id = request_id
        self.details = details

    def __repr__(self) -> str:
        return f"EngramError({self.code!r}, {self.message!r}, status={self.status}, request_id={self.request_id!r})"


def error_from_response(status: int, body: bytes, request_id: Optional[str]) -> EngramError:
    """The error for a non-2xx answer with this body."""
    try:
        parsed = json.loads(body)
        error = parsed["error"]
        return EngramError(
            str(error["code"]),
            str(error["message"]),
            status,
            error.get("requestId", request_id),
            error.get("details"),
        )
    except (ValueError, KeyError, TypeError):
        return EngramError(
            "UNEXPECTED_RESPONSE",
            f"HTTP {status} without an Engram error body (a proxy in between?).",
            status,
            request_id,
        )
