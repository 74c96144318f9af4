"""One HTTP call with urllib: JSON in and out, a timeout per attempt, and retries with backoff on
429 and 503, waiting as long as the server's Retry-After says."""
from __future__ import annotations

import json
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from .errors import EngramError, error_from_response

RETRY_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """Retries on 429 and 503 only. A Retry-After longer than max_delay_s is not waited for."""

    max_retries: int = 3
    base_delay_s: float = 0.25
    max_delay_s: float = 30.0

    def backoff_s(self, retry: int) -> float:
        """Exponential with jitter, half fixed and half random, as the server's own retries."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (retry - 1))
        return ceiling / 2 + random.random() * ceiling / 2


def retry_after_s(header: Optional[str]) -> Optional[float]:
    """Seconds a Retry-After header asks for (seconds, or an HTTP date)."""
    if header is None:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(header) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None


@dataclass
class Transport:
    base_url: str
    api_key: Optional[str] = None
    timeout_s: float = 30.0
    retry: RetryPolicy = RetryPolicy()
    sleep: Callable[[float], None] = time.sleep

    def call(
        self,
        method: str,
        path: str,
        body: Optional[Any] = None,
        query: Optional[Mapping[str, Any]] = None,
    ) -> Any:
        """The parsed JSON answer (None for 204); raises EngramError on any other answer."""
        url = self.base_url.rstrip("/") + path
        given = {k: v for k, v in (query or {}).items() if v is not None}
        if given:
            url += "?" + urllib.parse.urlencode(given)
        headers: Dict[str, str] = {
            "accept": "application/json",
            # One id per call, kept across its retries: the server logs under it, errors carry it.
            "x-request-id": str(uuid.uuid4()),
        }
        if self.api_key is not None:
            headers["authorization"] = f"Bearer {self.api_key}"
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["content-type"] = "application/json"
        retry = 0
        while True:
            retry += 1
            status, answer, answer_headers = self._attempt(method, url, data, headers)
            if 200 <= status < 300:
                return json.loads(answer) if answer else None
            if status in RETRY_STATUSES and retry <= self.retry.max_retries:
                delay = retry_after_s(answer_headers.get("retry-after"))
                delay = self.retry.backoff_s(retry) if delay is None else delay
                if delay <= self.retry.max_delay_s:
                    self.sleep(delay)
                    continue
            raise error_from_response(status, answer, answer_headers.get("x-request-id") or headers["x-request-id"])

    def _attempt(
        self, method: str, url: str, data: Optional[bytes], headers: Dict[str, str]
    ) -> Tuple[int, bytes, Dict[str, str]]:
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return response.status, response.read(), _lower(response.headers)
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read(), _lower(error.headers)
        except (socket.timeout, TimeoutError) as error:
            raise self._timeout(url, headers) from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, (socket.timeout, TimeoutError)):
                raise self._timeout(url, headers) from error
            raise

    def _timeout(self, url: str, headers: Dict[str, str]) -> EngramError:
        path = urllib.parse.urlsplit(url).path
        return EngramError(
            "CLIENT_TIMEOUT",
            f"No answer from {path} within {self.timeout_s} s.",
            0,
            headers["x-request-id"],
        )


def _lower(headers: Any) -> Dict[str, str]:
    return {k.lower(): v for k, v in headers.items()} if headers is not None else {}
