"""The Python client when the server is busy or slow: retries on 429 and 503 after Retry-After,
and a timeout per attempt, against a local server speaking Engram's error body."""
import json
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional

from engram_client import Engram, EngramError, RetryPolicy

CODE_OF = {429: "RATE_LIMITED", 503: "UNAVAILABLE"}
EVENT = {"type": "session_start", "eventId": "e", "ts": 0, "sessionId": "s", "agentId": "a"}


class ScriptedServer:
    """Answers each request with the next (status, retry_after, hang_s) of the script, then 200."""

    def __init__(self, script: List[Dict[str, object]]) -> None:
        self.request_ids: List[Optional[str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                request_id = self.headers.get("x-request-id")
                outer.request_ids.append(request_id)
                seen = len(outer.request_ids)
                answer = script[seen - 1] if seen <= len(script) else {"status": 200}
                time.sleep(float(answer.get("hang_s", 0)))  # type: ignore[arg-type]
                status = int(answer["status"])  # type: ignore[call-overload]
                if status < 400:
                    body = {"accepted": 1, "rejected": []}
                else:
                    message = f"Scripted {status}."
                    body = {"error": {"code": CODE_OF[status], "message": message, "requestId": request_id}}
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                if "retry_after" in answer:
                    self.send_header("retry-after", str(answer["retry_after"]))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class TransportTest(unittest.TestCase):
    def serve(self, script: List[Dict[str, object]]) -> ScriptedServer:
        server = ScriptedServer(script)
        self.addCleanup(server.close)
        return server

    def test_retries_429_after_retry_after_with_the_same_request_id(self) -> None:
        server = self.serve([{"status": 429, "retry_after": 1}])
        started = time.monotonic()
        self.assertEqual(Engram(server.url).events.send([EVENT]), {"accepted": 1, "rejected": []})
        self.assertGreaterEqual(time.monotonic() - started, 0.95)
        self.assertEqual(len(server.request_ids), 2)
        self.assertEqual(server.request_ids[0], server.request_ids[1])

    def test_gives_up_on_503_after_max_retries_with_the_server_error(self) -> None:
        server = self.serve([{"status": 503}, {"status": 503}, {"status": 503, "retry_after": 0}])
        engram = Engram(server.url, retry=RetryPolicy(max_retries=2, base_delay_s=0.01))
        with self.assertRaises(EngramError) as raised:
            engram.events.send([EVENT])
        self.assertEqual((raised.exception.code, raised.exception.status), ("UNAVAILABLE", 503))
        self.assertEqual(raised.exception.request_id, server.request_ids[0])
        self.assertEqual(len(server.request_ids), 3)

    def test_does_not_wait_for_a_retry_after_past_max_delay(self) -> None:
        server = self.serve([{"status": 429, "retry_after": 60}])
        with self.assertRaises(EngramError) as raised:
            Engram(server.url, retry=RetryPolicy(max_delay_s=1)).events.send([EVENT])
        self.assertEqual(raised.exception.code, "RATE_LIMITED")
        self.assertEqual(len(server.request_ids), 1)

    def test_times_out_an_attempt_without_an_answer(self) -> None:
        server = self.serve([{"status": 200, "hang_s": 1}])
        with self.assertRaises(EngramError) as raised:
            Engram(server.url, timeout_s=0.2).events.send([EVENT])
        self.assertEqual((raised.exception.code, raised.exception.status), ("CLIENT_TIMEOUT", 0))
        self.assertEqual(raised.exception.request_id, server.request_ids[0])


if __name__ == "__main__":
    unittest.main()
