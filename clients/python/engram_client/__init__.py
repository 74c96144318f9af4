"""Python client for Engram, the memory and context server for AI agents."""
from .client import Engram, IngestHandle
from .errors import EngramError
from .transport import RetryPolicy
from .types import Document, Turn

__all__ = ["Document", "Engram", "EngramError", "IngestHandle", "RetryPolicy", "Turn"]
